# Gridcare in a container: the same commands the README and CI use, nothing more.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY models models
COPY migrations migrations
COPY templates templates
COPY fonts fonts
RUN pip install --no-cache-dir -e .
USER nobody
ENV GRIDCARE_MODE=production GRIDCARE_WEBHOOK_LISTEN=0.0.0.0:8080
EXPOSE 8080
CMD ["gridcare", "run"]
