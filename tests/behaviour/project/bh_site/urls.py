from django.urls import path

from rest_framework.routers import SimpleRouter

from blog import api, views

router = SimpleRouter()
router.register("djp021/viewonly", api.ViewOnlyViewSet)
router.register("djp021/comments", api.CommentViewSet)

urlpatterns = [
    path("djp012/decorator/", views.publish_everything),
    path("djp012/mixin/", views.EmptyPermissionsView.as_view()),
    path("djp012/inherited/", views.InheritedEmptyView.as_view()),
    path("djp012/control/", views.PublishView.as_view()),
    path("djp017/missing/", views.MissingPermissionView.as_view()),
    path("djp017/none/", views.NonePermissionView.as_view()),
] + router.urls
