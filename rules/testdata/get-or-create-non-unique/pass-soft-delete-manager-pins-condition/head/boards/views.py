from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from boards.models import Board, BoardPreference


@require_POST
def collapse(request, board_id):
    board = get_object_or_404(Board, pk=board_id)
    # objects shows the rows with deleted_at NULL, those the constraint
    # covers, and a preference it creates is one of them.
    preference, _ = BoardPreference.objects.get_or_create(board=board, member=request.POST["member"])
    preference.collapsed = True
    preference.save(update_fields=["collapsed"])
    return JsonResponse({"id": preference.id})
