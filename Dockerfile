# Production-like image: one image, one role per container (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
    DJANGO_SETTINGS_MODULE=schools24.settings.production python manage.py collectstatic --noinput
ENV DJANGO_SETTINGS_MODULE=schools24.settings.production HOST=0.0.0.0 PORT=8000
EXPOSE 8000
CMD ["bash", "scripts/serve.sh", "web"]
