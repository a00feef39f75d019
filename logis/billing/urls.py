from django.urls import path

from logis.billing import views

app_name = "billing"

urlpatterns = [
    path("batches/", views.batch_list, name="batches"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:batch_id>/publish/", views.batch_publish, name="batch_publish"),
    path("batches/<int:batch_id>/void/", views.batch_void, name="batch_void"),
    path("recurring/", views.schedule_list, name="schedules"),
    path("recurring/new/", views.schedule_edit, name="schedule_create"),
    path("recurring/<int:schedule_id>/", views.schedule_edit, name="schedule_edit"),
    path("recurring/<int:schedule_id>/pause/", views.schedule_pause, name="schedule_pause"),
    path("recurring/<int:schedule_id>/skip/", views.schedule_skip, name="schedule_skip"),
    path("recurring/<int:schedule_id>/restore/", views.schedule_restore, name="schedule_restore"),
]
