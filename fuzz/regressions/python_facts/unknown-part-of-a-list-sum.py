INSTALLED_APPS = ["blog"] + get_plugins()
INSTALLED_APPS += extra()
EXTRA = unknown + ["x"]
INSTALLED_APPS.extend(more())

class Post:
    class Meta:
        permissions = [("can_x", "X")] + more_permissions()
