from django.core.exceptions import PermissionDenied
from django.http import HttpResponse


def export(request):
    if not request.user.has_perm("can_export"):
        raise PermissionDenied
    return HttpResponse("csv")
