from django.contrib import admin


class ReadOnlyContentAdmin(admin.ModelAdmin):
    """Rows nobody edits in the admin: content (written by `load_course` only), audit trails."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
