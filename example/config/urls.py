from django.urls import path

from catalog import views

urlpatterns = [
    path("products/<int:pk>/publish/", views.publish),
    path("products/export/", views.ExportView.as_view()),
]
