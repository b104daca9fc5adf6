from django.http import JsonResponse
from django.views.decorators.http import require_POST

from catalog.models import Category


@require_POST
def add_category(request):
    # MPTTModel.save() computes lft, rght, tree_id and level.
    category = Category.objects.create(name=request.POST["name"])
    return JsonResponse({"id": category.id}, status=201)
