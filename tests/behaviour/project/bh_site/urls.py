from django.urls import path

from blog import views

urlpatterns = [
    path("djp012/decorator/", views.publish_everything),
    path("djp012/mixin/", views.EmptyPermissionsView.as_view()),
    path("djp012/inherited/", views.InheritedEmptyView.as_view()),
    path("djp012/control/", views.PublishView.as_view()),
    path("djp017/missing/", views.MissingPermissionView.as_view()),
    path("djp017/none/", views.NonePermissionView.as_view()),
]
