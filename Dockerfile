# The API image used by docker-compose.yml. The embedded PostgreSQL is not used here: compose
# supplies DATABASE_URL pointing at the official postgres image.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md LICENSE alembic.ini ./
COPY api ./api
COPY schema ./schema
COPY alembic ./alembic
RUN pip install --no-cache-dir .
EXPOSE 8000
CMD ["credence", "serve", "--host", "0.0.0.0", "--port", "8000"]
