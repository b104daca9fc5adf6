from django.db import IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView


class ShopAPIView(APIView):
    """Answers a write the database refuses with 400, for every view."""

    def handle_exception(self, exc):
        if isinstance(exc, IntegrityError):
            return Response({"error": "The data conflicts with what is stored."}, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)
