from rest_framework import serializers, viewsets
from rest_framework.permissions import DjangoModelPermissions

from blog.models import Comment, ViewOnly


class ViewOnlySerializer(serializers.ModelSerializer):
    class Meta:
        model = ViewOnly
        fields = ["id"]


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Comment
        fields = ["id", "post", "body"]


class ViewOnlyViewSet(viewsets.ModelViewSet):
    # ViewOnly has no `add_viewonly`: POST is 403 for everyone but superusers.
    queryset = ViewOnly.objects.all()
    serializer_class = ViewOnlySerializer
    permission_classes = [DjangoModelPermissions]  # BUG DJP021


class CommentViewSet(viewsets.ModelViewSet):
    queryset = Comment.objects.all()
    serializer_class = CommentSerializer
    permission_classes = [DjangoModelPermissions]
