# Gridcare in a container: the same commands the README and CI use, nothing more.
# Charts use the bundled font (fonts/, a CJK subset), not a system CJK package.
FROM python:3.11-slim
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
# Healthy when the webhook server answers /healthz (its database reachable); slim has no curl.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
CMD ["gridcare", "run"]
