from django import forms
from django.http import JsonResponse
from django.views.decorators.http import require_POST

from catalog.models import Author


class AuthorForm(forms.ModelForm):
    class Meta:
        model = Author
        fields = "__all__"


@require_POST
def add_author(request):
    form = AuthorForm(request.POST)
    if not form.is_valid():
        return JsonResponse(form.errors, status=400)
    author = form.save()
    return JsonResponse({"id": author.pk}, status=201)


@require_POST
def add_authors(request):
    rows = [{"name": n, "email": e} for n, e in zip(request.POST.getlist("name"), request.POST.getlist("email"))]
    for row in rows:
        Author.objects.create(**row)
    return JsonResponse({"count": len(rows)}, status=201)
