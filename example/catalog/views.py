from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse
from django.views import View


@permission_required("can_publish", raise_exception=True)
def publish(request, pk):
    if not request.user.has_perm("catalog.can_pubish"):
        return HttpResponse(status=403)
    return HttpResponse("published")


class ExportView(PermissionRequiredMixin, View):
    permission_required = ("reports.can_export", "orders.view_order")

    def get(self, request):
        if request.user.has_perms("orders.can_refund"):
            pass
        if request.user.has_perm("auth.change_user"):
            pass
        return HttpResponse("csv")
