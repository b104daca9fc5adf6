package django

import (
	"slices"
	"strings"
)

// ExternalBase is an abstract model base from outside the repository whose
// contribution the index knows: a class of Django's own (AbstractUser) or
// of a well-known package (model_utils' TimeStampedModel, mptt's
// MPTTModel). A class that derives from one is a model; it takes the
// base's fields as it would an abstract base's of the repository. A base
// from outside the repository that is not in externalBases still makes a
// class no model at all, as before: nothing is claimed about it.
type ExternalBase struct {
	Name   string   // qualified name, "model_utils.models.TimeStampedModel"
	Fields []*Field // the fields it adds, after those of its own bases
	// Partial marks a base whose contribution the index knows only in
	// part: the names of the fields it adds depend on a setting or on the
	// package's version (safedelete), or the fields are built by code (a
	// field class of the package that fills itself). No claim that needs
	// every field, column or unique constraint of the model holds: its
	// required fields, its migrations, whether a lookup is unique.
	Partial bool
	// Fills marks a base whose save(), or whose fields' pre_save, fills
	// fields that an insert does not name (mptt's tree columns, an order
	// column): an insert that leaves them out does not fail.
	Fills bool
	// Filters maps a manager the base declares to the keyword terms its
	// queryset always applies, as Class.QuerysetFilter holds them: a
	// soft-delete manager hides deleted rows; nil for a manager that
	// filters nothing.
	Filters map[string][][2]string
	// Options names an inner class of the model ("MPTTMeta") whose
	// assignment of one of Renames changes the names of the fields the
	// base adds: the model is then partial.
	Options string
	Renames []string

	bases []string // external bases it derives from, whose fields come first
	model *Model   // the base as an abstract model, for inherit
}

// externalBases are the bases from outside the repository that the index
// knows, by every qualified name they are imported under. What each adds
// was read in the package's source; where it differs between versions, the
// entry says only what all of them share, or is partial.
var externalBases = map[string]*ExternalBase{}

func init() {
	for _, b := range externalBaseTable {
		externalBases[b.Name] = b
	}
	for _, b := range externalBaseTable {
		b.model = &Model{Name: b.Name[strings.LastIndexByte(b.Name, '.')+1:], Abstract: true}
		for _, f := range b.closureFields() {
			inh := *f
			if inh.Inherited == "" {
				inh.Inherited = b.model.Name
			}
			b.model.Fields = append(b.model.Fields, &inh)
		}
	}
	for alias, name := range externalBaseAliases {
		externalBases[alias] = externalBases[name]
	}
}

// closure returns b and the external bases it derives from, bases first.
func (b *ExternalBase) closure() []*ExternalBase {
	var out []*ExternalBase
	for _, name := range b.bases {
		for _, c := range externalBases[name].closure() {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return append(out, b)
}

// closureFields returns the fields of b's closure, in Django's order; a
// field of a derived base overrides one of the same name.
func (b *ExternalBase) closureFields() []*Field {
	var out []*Field
	for _, c := range b.closure() {
		for _, f := range c.Fields {
			if i := slices.IndexFunc(out, func(o *Field) bool { return o.Name == f.Name }); i >= 0 {
				out[i] = f
				continue
			}
			g := *f
			g.Inherited = c.Name[strings.LastIndexByte(c.Name, '.')+1:]
			out = append(out, &g)
		}
	}
	return out
}

// extField builds a field of an external base from its keyword arguments as
// a migration would write them ("null=True", "max_length=150").
func extField(name, typ string, kwargs ...string) *Field {
	f := &Field{Name: name, Type: typ, DBConstraint: true, Kwargs: map[string]string{}}
	for _, kw := range kwargs {
		k, v, _ := strings.Cut(kw, "=")
		f.Kwargs[k] = v
		switch k {
		case "primary_key":
			f.PrimaryKey = v == "True"
		case "unique":
			f.Unique = v == "True"
		case "null":
			f.Null = v == "True"
		case "default":
			f.HasDefault = true
		case "auto_now", "auto_now_add":
			f.AutoNow = v == "True"
		case "to":
			f.To = strings.Trim(v, `"`)
		case "on_delete":
			f.OnDelete = v[strings.LastIndexByte(v, '.')+1:]
		}
	}
	f.Unique = f.Unique || f.PrimaryKey || typ == "OneToOneField"
	return f
}

// opaque marks a field whose class is the package's own (see Field.Opaque).
func opaque(f *Field) *Field {
	f.Opaque = true
	return f
}

// filled marks a field its class fills on every insert (pre_save), as
// auto_now does: an insert that leaves it out does not fail.
func filled(f *Field) *Field {
	f.AutoNow = true
	return f
}

var externalBaseTable = []*ExternalBase{
	// Django's own abstract user bases (django/contrib/auth/base_user.py
	// and models.py); the same field names since Django 1.8.
	{Name: "django.contrib.auth.base_user.AbstractBaseUser", Fields: []*Field{
		extField("password", "CharField", "max_length=128"),
		extField("last_login", "DateTimeField", "blank=True", "null=True"),
	}},
	{Name: "django.contrib.auth.models.PermissionsMixin", Fields: []*Field{
		extField("is_superuser", "BooleanField", "default=False"),
		extField("groups", "ManyToManyField", "blank=True", `to="auth.Group"`),
		extField("user_permissions", "ManyToManyField", "blank=True", `to="auth.Permission"`),
	}},
	{Name: "django.contrib.auth.models.AbstractUser", bases: []string{
		"django.contrib.auth.base_user.AbstractBaseUser", "django.contrib.auth.models.PermissionsMixin",
	}, Fields: []*Field{
		extField("username", "CharField", "max_length=150", "unique=True"),
		extField("first_name", "CharField", "blank=True", "max_length=150"),
		extField("last_name", "CharField", "blank=True", "max_length=150"),
		extField("email", "EmailField", "blank=True", "max_length=254"),
		extField("is_staff", "BooleanField", "default=False"),
		extField("is_active", "BooleanField", "default=True"),
		extField("date_joined", "DateTimeField", "default=django.utils.timezone.now"),
	}},

	// django-model-utils (model_utils/models.py, fields.py).
	// AutoCreatedField and AutoLastModifiedField are DateTimeFields with
	// default=now; the latter's pre_save sets the time on every save.
	{Name: "model_utils.models.TimeStampedModel", Fields: []*Field{
		extField("created", "DateTimeField", "default=django.utils.timezone.now", "editable=False"),
		filled(extField("modified", "DateTimeField", "default=django.utils.timezone.now", "editable=False")),
	}},
	{Name: "model_utils.models.TimeFramedModel", Fields: []*Field{
		extField("start", "DateTimeField", "blank=True", "null=True"),
		extField("end", "DateTimeField", "blank=True", "null=True"),
	}},
	// StatusField is a CharField (max_length=100) whose default is the
	// first of the model's STATUS choices; MonitorField a DateTimeField
	// with default=now.
	{Name: "model_utils.models.StatusModel", Fields: []*Field{
		extField("status", "CharField", "default=STATUS[0]", "max_length=100"),
		extField("status_changed", "DateTimeField", "default=django.utils.timezone.now"),
	}},
	{Name: "model_utils.models.SoftDeletableModel", Fields: []*Field{
		extField("is_removed", "BooleanField", "default=False"),
	}, Filters: map[string][][2]string{
		// objects (deprecated since 4.0, still filtering) and
		// available_objects hide removed rows; all_objects does not.
		"objects":           {{"is_removed", "False"}},
		"available_objects": {{"is_removed", "False"}},
		"all_objects":       nil,
	}},
	{Name: "model_utils.models.UUIDModel", Fields: []*Field{
		extField("id", "UUIDField", "default=uuid.uuid4", "editable=False", "primary_key=True"),
	}},

	// django-extensions (django_extensions/db/models.py, db/fields).
	// CreationDateTimeField sets auto_now_add, ModificationDateTimeField
	// auto_now; AutoSlugField fills itself in pre_save, also over an
	// explicit None.
	{Name: "django_extensions.db.models.TimeStampedModel", Fields: []*Field{
		extField("created", "DateTimeField", "auto_now_add=True", "blank=True", "editable=False"),
		extField("modified", "DateTimeField", "auto_now=True", "blank=True", "editable=False"),
	}},
	{Name: "django_extensions.db.models.TitleDescriptionModel", Fields: []*Field{
		extField("title", "CharField", "max_length=255"),
		extField("description", "TextField", "blank=True", "null=True"),
	}},
	{Name: "django_extensions.db.models.TitleSlugDescriptionModel", bases: []string{
		"django_extensions.db.models.TitleDescriptionModel",
	}, Fields: []*Field{
		opaque(extField("slug", "SlugField", "blank=True", "editable=False", "populate_from='title'")),
	}},
	// save() sets activate_date when empty; it is nullable anyway.
	{Name: "django_extensions.db.models.ActivatorModel", Fields: []*Field{
		extField("status", "IntegerField", "default=1"),
		extField("activate_date", "DateTimeField", "blank=True", "null=True"),
		extField("deactivate_date", "DateTimeField", "blank=True", "null=True"),
	}},

	// django-polymorphic (polymorphic/models.py): save() sets the content
	// type, a nullable foreign key.
	{Name: "polymorphic.models.PolymorphicModel", Fields: []*Field{
		extField("polymorphic_ctype", "ForeignKey", "editable=False", "null=True",
			"on_delete=django.db.models.deletion.CASCADE", `to="contenttypes.ContentType"`),
	}},

	// django-mptt (mptt/models.py): the metaclass adds four
	// PositiveIntegerFields (editable=False, tree_id indexed), named by the
	// model's MPTTMeta, and save() fills them.
	{Name: "mptt.models.MPTTModel", Fills: true, Options: "MPTTMeta",
		Renames: []string{"left_attr", "right_attr", "tree_id_attr", "level_attr"},
		Fields: []*Field{
			extField("lft", "PositiveIntegerField", "editable=False"),
			extField("rght", "PositiveIntegerField", "editable=False"),
			extField("tree_id", "PositiveIntegerField", "db_index=True", "editable=False"),
			extField("level", "PositiveIntegerField", "editable=False"),
		}},

	// django-treebeard (mp_tree.py, ns_tree.py, al_tree.py): add_root()
	// and add_child() fill the tree columns, so an insert through them
	// names none; Fills keeps an ORM create from being judged on them.
	{Name: "treebeard.mp_tree.MP_Node", Fills: true, Fields: []*Field{
		extField("path", "CharField", "max_length=255", "unique=True"),
		extField("depth", "PositiveIntegerField"),
		extField("numchild", "PositiveIntegerField", "default=0"),
	}},
	{Name: "treebeard.ns_tree.NS_Node", Fills: true, Fields: []*Field{
		extField("lft", "PositiveIntegerField", "db_index=True"),
		extField("rgt", "PositiveIntegerField", "db_index=True"),
		extField("tree_id", "PositiveIntegerField", "db_index=True"),
		extField("depth", "PositiveIntegerField", "db_index=True"),
	}},
	// The model declares parent and sib_order itself.
	{Name: "treebeard.al_tree.AL_Node", Fills: true},

	// django-safedelete (safedelete/models.py): the field is named by the
	// SAFE_DELETE_FIELD_NAME setting ("deleted" by default), and later
	// versions add deleted_by_cascade: partial.
	{Name: "safedelete.models.SafeDeleteModel", Partial: true, Fields: []*Field{
		extField("deleted", "DateTimeField", "editable=False", "null=True"),
	}, Filters: map[string][][2]string{
		"objects": {{"deleted__isnull", "True"}},
	}},

	// django-modelcluster (modelcluster/models.py): no fields; its
	// __init__ takes child relations, which are no fields of the model.
	{Name: "modelcluster.models.ClusterableModel"},

	// django-ordered-model (ordered_model/models.py): save() fills the
	// order column when it is not set.
	{Name: "ordered_model.models.OrderedModelBase", Fills: true},
	{Name: "ordered_model.models.OrderedModel", bases: []string{"ordered_model.models.OrderedModelBase"}, Fields: []*Field{
		extField("order", "PositiveIntegerField", "db_index=True", "editable=False"),
	}},
}

// externalBaseAliases are other qualified names of the same classes: a
// package that re-exports them.
var externalBaseAliases = map[string]string{
	"django.contrib.auth.models.AbstractBaseUser": "django.contrib.auth.base_user.AbstractBaseUser",
	"treebeard.models.MP_Node":                    "treebeard.mp_tree.MP_Node",
	"safedelete.models.SafeDeleteMixin":           "safedelete.models.SafeDeleteModel",
}

// ExternalBase returns the base from outside the repository that name, as
// written in file f, denotes, or nil when the index does not know it.
func (p *Project) ExternalBase(f *File, name string) *ExternalBase {
	return externalBases[p.qualify(f, name, 0)]
}

// Partial reports whether a base from outside the repository adds to m
// what the index knows only in part (ExternalBase.Partial, or an MPTTMeta
// that renames the tree fields).
func (m *Model) Partial() bool { return m.partial }

// Fills reports whether code of a base from outside the repository fills
// fields of m that an insert does not name (ExternalBase.Fills).
func (m *Model) Fills() bool {
	return slices.ContainsFunc(m.External, func(b *ExternalBase) bool { return b.Fills })
}

// externalManagerFilter returns the filter of manager attr that a base
// of m from outside the repository declares (ExternalBase.Filters): a
// soft-delete manager's; found is false when none declares attr.
func externalManagerFilter(m *Model, attr string) (terms [][2]string, found bool) {
	for _, b := range m.External {
		if f, ok := b.Filters[attr]; ok {
			return f, true
		}
	}
	return nil, false
}
