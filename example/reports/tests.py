from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import TestCase


class ExportPermissionTests(TestCase):
    def test_grant_export(self):
        user = get_user_model().objects.create_user("analyst")
        self.assertFalse(user.has_perm("reports.can_export"))
        permission = Permission.objects.get(codename="can_export", content_type__app_label="reports")
        user.user_permissions.add(permission)
        self.assertTrue(user.has_perm("reports.can_export"))
