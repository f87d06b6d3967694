from django.urls import path

from apps.pages import views

app_name = "pages"

urlpatterns = [
    path("teach/", views.teach_home, name="teach"),
    path("teach/classes/<uuid:class_id>/", views.teach_class, name="teach-class"),
    path("teach/classes/<uuid:class_id>/register/", views.teach_register, name="teach-register"),
    path(
        "teach/classes/<uuid:class_id>/homework/new/",
        views.teach_homework_new,
        name="teach-homework-new",
    ),
    path("teach/homework/<uuid:homework_id>/", views.teach_homework, name="teach-homework"),
    path("my/", views.my_home, name="my"),
    path("my/homework/<uuid:homework_id>/", views.my_homework, name="my-homework"),
    path("boards/<uuid:class_id>/", views.board, name="board"),
]
