from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import TestCase


class RefundPermissionTests(TestCase):
    def test_grant_refund(self):
        user = get_user_model().objects.create_user("clerk")
        self.assertFalse(user.has_perm("orders.can_refund"))
        user.user_permissions.add(Permission.objects.get(codename="can_refund"))
        self.assertTrue(user.has_perm("orders.can_refund"))  # stale cache: still False
