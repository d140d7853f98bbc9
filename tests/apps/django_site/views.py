from django.conf import settings
from django.http import FileResponse, HttpResponse
from django.shortcuts import render


def index(request):
    return HttpResponse("hello from django", content_type="text/plain")


def form(request):
    if request.method == "POST":
        return HttpResponse("posted: %s" % request.POST.get("name", ""),
                            content_type="text/plain")
    return render(request, "form.html")


def static(request):
    # FileResponse hands the open file to wsgi.file_wrapper (sendfile)
    return FileResponse(open(settings.STATIC_FILE, "rb"),
                        content_type="text/plain")
