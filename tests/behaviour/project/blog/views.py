from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.http import HttpResponse
from django.views import View


@permission_required([], raise_exception=True)  # BUG DJP012
def publish_everything(request):
    return HttpResponse("published")


class EmptyPermissionsView(PermissionRequiredMixin, View):
    permission_required = ()  # BUG DJP012
    raise_exception = True

    def get(self, request):
        return HttpResponse("edited")


class PublishBaseView(PermissionRequiredMixin, View):
    # Not routed: an empty default that subclasses are meant to override.
    permission_required = ()
    raise_exception = True

    def get(self, request):
        return HttpResponse("published")


class InheritedEmptyView(PublishBaseView):  # KNOWN FN DJP012: routed, inherits `()`
    pass


class PublishView(PublishBaseView):
    # Control: overrides the empty default.
    permission_required = ("blog.can_publish",)


class MissingPermissionView(PermissionRequiredMixin, View):  # BUG DJP017
    def get(self, request):
        return HttpResponse("never reached")


class NonePermissionView(PermissionRequiredMixin, View):  # BUG DJP017: `None` is unset
    permission_required = None

    def get(self, request):
        return HttpResponse("never reached")
