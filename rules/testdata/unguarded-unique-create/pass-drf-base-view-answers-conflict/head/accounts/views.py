from django.db import IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User


class AccountsAPIView(APIView):
    """Every view of the app answers a write the database refuses with 409."""

    def handle_exception(self, exc):
        if isinstance(exc, IntegrityError):
            return Response({"detail": "Already exists."}, status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)


class Signup(AccountsAPIView):
    def post(self, request):
        if "@" not in request.data.get("email", ""):
            return Response({"detail": "Enter an e-mail address."}, status=status.HTTP_400_BAD_REQUEST)
        user = User.objects.create(username=request.data["username"], email=request.data["email"])
        return Response({"id": user.id}, status=status.HTTP_201_CREATED)
