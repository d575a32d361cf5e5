FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY server ./server
COPY game ./game
COPY web ./web
RUN pip install --no-cache-dir -e . && useradd --system --home /app arena && mkdir -p /app/.arena /backups && chown arena /app/.arena /backups
USER arena
EXPOSE 8000
CMD ["python", "-m", "server"]
