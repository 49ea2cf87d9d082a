from django.db import models


class Post(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        permissions = [("can_publish", "Can publish posts")]


class Comment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE)
    body = models.TextField()

    class Meta:
        permissions = [("can_pin", "Can pin comments")]  # BUG DJP030: nothing checks it


class ViewOnly(models.Model):
    name = models.CharField(max_length=100)

    class Meta:
        default_permissions = ("view")  # BUG DJP011: the str "view"
