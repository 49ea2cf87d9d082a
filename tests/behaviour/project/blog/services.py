"""Permission helpers, each one a bug (or its control) that tests/behaviour/run.py calls."""

from django.contrib.auth.models import Permission
from guardian.shortcuts import get_objects_for_user, get_users_with_perms

from .models import Comment, Post


def can_publish(user, post):
    return user.has_perm("blog.can_publish", post)  # BUG DJP013


def can_publish_globally(user):
    return user.has_perm("blog.can_publish")


def can_publish_no_object(user):
    return user.has_perm("blog.can_publish", None)  # OK: `None` is no object


def publish_permissions():
    return Permission.objects.filter(codename="blog.can_publish")  # BUG DJP015


def publish_permission():
    return Permission.objects.get(codename="blog.can_publish")  # BUG DJP008


def publish_permissions_split():
    return Permission.objects.filter(codename="can_publish", content_type__app_label="blog")


def post_editors(post):
    return get_users_with_perms(post, only_with_perms_in=["blog.change_post"])  # BUG DJP015


def post_editors_bare(post):
    return get_users_with_perms(post, only_with_perms_in=["change_post"])


def grant_publish(user):
    user.user_permissions.add("blog.can_publish")  # BUG DJP016


def grant_publish_object(user):
    user.user_permissions.add(publish_permissions_split().get())


def editable_posts_and_comments(user):
    return get_objects_for_user(user, ["blog.change_post", "blog.change_comment"])  # BUG DJP020


def editable_posts_and_groups(user):
    return get_objects_for_user(user, ["blog.change_post", "auth.change_group"])  # BUG DJP020


def editable_bare(user):
    return get_objects_for_user(user, "change_post")  # BUG DJP001: nothing names the model


def editable_bare_with_klass(user):
    return get_objects_for_user(user, "change_post", klass=Post)


def editable_comments_by_post_permission(user):
    return get_objects_for_user(user, "blog.change_post", klass=Comment)  # BUG DJP020


def editable_comments_by_post_permission_queryset(user):
    return get_objects_for_user(user, ["blog.change_post"], klass=Comment.objects.all())  # BUG DJP020


def editable_posts_queryset(user):
    # Control: the queryset's model is the permissions' model.
    return get_objects_for_user(user, "blog.change_post", klass=Post.objects.filter(title__isnull=False))


def editable_mixed_bare_first(user):
    # Control: the dotted permission gives the app label; the bare codename shares it.
    return get_objects_for_user(user, ["view_post", "blog.change_post"], any_perm=True)


def editable_mixed_dotted_first(user):
    return get_objects_for_user(user, ["blog.change_post", "view_post"], any_perm=True)
