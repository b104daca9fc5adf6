from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User


class Signup(APIView):
    def post(self, request):
        if "@" not in request.data.get("email", ""):
            return Response({"detail": "Enter an e-mail address."}, status=status.HTTP_400_BAD_REQUEST)
        user = User.objects.create(username=request.data["username"], email=request.data["email"])
        return Response({"id": user.id}, status=status.HTTP_201_CREATED)
