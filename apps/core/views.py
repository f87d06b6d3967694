"""The landing page: links each kind of user to where they work."""

from django.shortcuts import render


def home(request):
    return render(request, "home.html")
