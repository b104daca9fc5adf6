from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from boards.models import Board, Member


def join(request, board_id):
    board = get_object_or_404(Board, pk=board_id)
    member, created = Member.objects.get_or_create(board=board, email=request.POST["email"])
    return JsonResponse({"id": member.id, "created": created})
