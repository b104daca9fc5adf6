from django.contrib.auth import get_user_model


def invite(username, email):
    # The user sets a password from the invitation link.
    return get_user_model().objects.create_user(username, email)
