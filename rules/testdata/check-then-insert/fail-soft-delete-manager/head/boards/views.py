from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from boards.models import Board, Member


def join(request, board_id):
    board = get_object_or_404(Board, pk=board_id)
    email = request.POST["email"]
    if Member.objects.filter(board=board, email=email).exists():
        return JsonResponse({"error": "Already a member"}, status=409)
    member = Member.objects.create(board=board, email=email)
    return JsonResponse({"id": member.id}, status=201)
