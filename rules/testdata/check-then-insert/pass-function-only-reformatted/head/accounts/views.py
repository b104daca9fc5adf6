from accounts.models import User


def register_user(username, email):
    if not User.objects.filter(username=username).exists():
        User.objects.create(username=username, email=email)
