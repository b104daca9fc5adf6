from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from boards.models import Board, Seat


def reserve(request, board_id):
    board = get_object_or_404(Board, pk=board_id)
    seat, created = Seat.objects.get_or_create(board=board, email=request.POST["email"])
    return JsonResponse({"id": seat.id, "created": created})
