{{/* Names ------------------------------------------------------------------------------ */}}
{{- define "podium.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "podium.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "podium.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- with .Values.image.digest }}@{{ . }}{{- end -}}
{{- end -}}

{{/* Labels: call with (dict "ctx" $ "component" "web") ------------------------------------- */}}
{{- define "podium.selectorLabels" -}}
app.kubernetes.io/name: {{ include "podium.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "podium.labels" -}}
{{ include "podium.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: podium
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Configuration objects ------------------------------------------------------------------- */}}
{{- define "podium.configName" -}}{{ include "podium.fullname" . }}-config{{- end -}}
{{- define "podium.secretName" -}}
{{- default (printf "%s-secrets" (include "podium.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}
{{- define "podium.postgresqlHost" -}}{{ include "podium.fullname" . }}-postgresql{{- end -}}
{{- define "podium.redisHost" -}}{{ include "podium.fullname" . }}-redis{{- end -}}
{{- define "podium.redisCacheHost" -}}{{ include "podium.fullname" . }}-redis-cache{{- end -}}
{{- define "podium.mediaClaim" -}}{{ include "podium.fullname" . }}-media{{- end -}}
{{- define "podium.workerServiceAccount" -}}{{ include "podium.fullname" . }}-grader{{- end -}}

{{/* A stable random value: the explicit value, else the one already in the release's Secret
     (lookup: helm install/upgrade), else a new one. Memoised per render in the root context, so
     the Secret and the checksum annotations of the pods see the same value within one render.
     Call with (dict "ctx" $ "key" "SECRET_KEY" "value" .Values.secrets.secretKey "length" 50) */}}
{{- define "podium.keepOrMake" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- if not (hasKey .ctx "podiumGenerated") -}}
{{- $_ := set .ctx "podiumGenerated" dict -}}
{{- end -}}
{{- $memo := get .ctx "podiumGenerated" -}}
{{- if not (hasKey $memo .key) -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace (include "podium.secretName" .ctx) -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- $_ := set $memo .key (index $existing.data .key | b64dec) -}}
{{- else -}}
{{- $_ := set $memo .key (randAlphaNum (int .length)) -}}
{{- end -}}
{{- end -}}
{{- get $memo .key -}}
{{- end -}}
{{- end -}}

{{/* A password or user name inside a URL's user-info: percent-encoded (urlquery writes a space
     as "+", which a URL parser keeps as a plus sign, so spaces become %20). */}}
{{- define "podium.urlEncode" -}}
{{- . | urlquery | replace "+" "%20" -}}
{{- end -}}

{{/* The PersistentVolumeClaim the PostgreSQL StatefulSet's volumeClaimTemplate creates. */}}
{{- define "podium.postgresqlClaim" -}}data-{{ include "podium.postgresqlHost" . }}-0{{- end -}}

{{/* Refuse to make a new database password for a database that already has one: with the
     release's Secret gone (deleted by hand, or a reinstall) but PostgreSQL's volume still there,
     initdb's password is on the volume and a new random one would lock the app out. lookup
     answers only during helm install/upgrade; `helm template` and GitOps renders see nothing,
     which is why production sets secrets.existingSecret (deploy/README.md). */}}
{{- define "podium.checkDatabaseSecret" -}}
{{- if and .Values.postgresql.enabled (not .Values.secrets.existingSecret) (not .Values.postgresql.password) -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "podium.secretName" .) -}}
{{- $claim := lookup "v1" "PersistentVolumeClaim" .Release.Namespace (include "podium.postgresqlClaim" .) -}}
{{- if and (not $secret) $claim -}}
{{- fail (printf "PersistentVolumeClaim %s/%s holds an existing PostgreSQL database, but Secret %s (its password) is gone: a new random password would not match the one the database was initialised with. Recreate the Secret from your backup, or set postgresql.password (and secrets.secretKey) to the old values, or point secrets.existingSecret at a Secret that holds them." .Release.Namespace (include "podium.postgresqlClaim" .) (include "podium.secretName" .)) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Pod annotations that roll the pods when their configuration or secrets change. The chart's
     own Secret is hashed from its rendered text (memoised values: the same render's Secret);
     an existing Secret from its data as the cluster has it (lookup, install/upgrade only). */}}
{{- define "podium.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if .Values.secrets.existingSecret }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace .Values.secrets.existingSecret }}
checksum/secret: {{ toJson (($existing | default dict).data | default dict) | sha256sum }}
{{- else }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end -}}

{{/* In-chart Redis ------------------------------------------------------------------------- */}}
{{- define "podium.redisConfig" -}}
broker.conf: |
  dir /data
  appendonly yes
  appendfsync everysec
  maxmemory {{ .Values.redis.maxmemory }}
  maxmemory-policy noeviction
  include /run/redis-auth/auth.conf
cache.conf: |
  dir /data
  save ""
  appendonly no
  maxmemory {{ .Values.redis.cache.maxmemory }}
  maxmemory-policy allkeys-lru
  include /run/redis-auth/auth.conf
# Quotes the password for redis.conf (backslashes and double quotes escaped), then starts Redis.
start.sh: |
  set -eu
  umask 077
  password=$(sed 's/[\\"]/\\&/g' /run/secrets/redis/REDIS_PASSWORD)
  printf 'requirepass "%s"\n' "$password" > /run/redis-auth/auth.conf
  exec redis-server "/etc/redis/$1"
{{- end -}}

{{/* The pod of a Redis instance: call with (dict "ctx" $ "conf" "broker.conf" "resources" ...). */}}
{{- define "podium.redisPodSpec" -}}
automountServiceAccountToken: false
securityContext:
  # The official image's redis user.
  runAsNonRoot: true
  runAsUser: 999
  runAsGroup: 999
  fsGroup: 999
  seccompProfile: {type: RuntimeDefault}
containers:
  - name: redis
    image: {{ include "podium.pinnedImage" .ctx.Values.redis.image }}
    imagePullPolicy: IfNotPresent
    command: ["sh", "/etc/redis/start.sh", {{ .conf | quote }}]
    ports:
      - name: redis
        containerPort: 6379
        protocol: TCP
    readinessProbe:
      exec:
        command: ["sh", "-c", "REDISCLI_AUTH=\"$(cat /run/secrets/redis/REDIS_PASSWORD)\" redis-cli ping | grep -q PONG"]
      periodSeconds: 5
      timeoutSeconds: 3
    livenessProbe:
      tcpSocket: {port: redis}
      initialDelaySeconds: 15
      periodSeconds: 15
    resources:
      {{- toYaml .resources | nindent 6 }}
    securityContext:
      {{- include "podium.containerSecurityContext" .ctx | nindent 6 }}
    volumeMounts:
      - name: data
        mountPath: /data
      - name: config
        mountPath: /etc/redis
        readOnly: true
      - name: auth
        mountPath: /run/redis-auth
      - name: password
        mountPath: /run/secrets/redis
        readOnly: true
{{- end -}}

{{- define "podium.redisVolumes" -}}
- name: config
  configMap:
    name: {{ include "podium.redisHost" . }}-config
- name: auth
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
- name: password
  secret:
    secretName: {{ include "podium.secretName" . }}
    defaultMode: 0440
    items:
      - key: REDIS_PASSWORD
        path: REDIS_PASSWORD
{{- end -}}

{{/* Security ---------------------------------------------------------------------------------- */}}
{{- define "podium.containerSecurityContext" -}}
runAsNonRoot: true
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* How every Podium container reads its settings: the ConfigMap as environment variables and
     the Secret as files (NAME_FILE), so no secret value appears in the pod spec or `env`. */}}
{{- define "podium.appEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "podium.configName" . }}
env:
  - name: SECRET_KEY_FILE
    value: /run/secrets/podium/SECRET_KEY
  - name: DATABASE_URL_FILE
    value: /run/secrets/podium/DATABASE_URL
  - name: REDIS_URL_FILE
    value: /run/secrets/podium/REDIS_URL
  {{- if include "podium.hasCacheUrl" . }}
  # The cache's own Redis (allkeys-lru), apart from the broker (noeviction).
  - name: REDIS_CACHE_URL_FILE
    value: /run/secrets/podium/REDIS_CACHE_URL
  {{- end }}
  {{- /* An existing Secret carries EMAIL_HOST_PASSWORD whenever mail goes through an SMTP host
         (deploy/README.md); the chart's own Secret when the value is set. */}}
  {{- if or .Values.secrets.emailHostPassword (and .Values.secrets.existingSecret .Values.config.emailHost) }}
  - name: EMAIL_HOST_PASSWORD_FILE
    value: /run/secrets/podium/EMAIL_HOST_PASSWORD
  {{- end }}
{{- end -}}

{{- define "podium.appVolumeMounts" -}}
- name: secrets
  mountPath: /run/secrets/podium
  readOnly: true
- name: tmp
  mountPath: /tmp
- name: var
  mountPath: /var/lib/podium
{{- end -}}

{{- define "podium.appVolumes" -}}
- name: secrets
  secret:
    secretName: {{ include "podium.secretName" . }}
    defaultMode: 0440
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
- name: var
  emptyDir:
    sizeLimit: 256Mi
{{- end -}}

{{- define "podium.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end -}}

{{/* The Secret holds REDIS_CACHE_URL: the in-chart cache Redis, or external.redisCacheUrl. */}}
{{- define "podium.hasCacheUrl" -}}
{{- if or (and .Values.redis.enabled .Values.redis.cache.enabled) (and (not .Values.secrets.existingSecret) .Values.external.redisCacheUrl) -}}true{{- end -}}
{{- end -}}

{{/* An init container that waits until the migrate Job of this revision has brought the schema
     up to date, and says in its log why it is still waiting: unapplied migrations (the Job has
     not finished) or the error that stops the check (database unreachable, bad password...). */}}
{{- define "podium.waitForMigrations" -}}
- name: wait-for-migrations
  image: {{ include "podium.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command:
    - sh
    - -c
    - |
      attempt=0
      until out=$(python manage.py migrate --check --no-input 2>&1); do
        attempt=$((attempt + 1))
        if [ -z "$out" ]; then
          reason="the database has unapplied migrations: Job {{ include "podium.migrateJobName" . }} has not finished"
        else
          reason=$(printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n 1)
        fi
        echo "wait-for-migrations: attempt $attempt: $reason; next check in ${WAIT_SECONDS:-5} s"
        sleep "${WAIT_SECONDS:-5}"
      done
      echo "wait-for-migrations: the schema is up to date"
  {{- include "podium.appEnv" . | nindent 2 }}
  volumeMounts:
    {{- include "podium.appVolumeMounts" . | nindent 4 }}
  resources:
    {{- toYaml .Values.waitForMigrations.resources | nindent 4 }}
  securityContext:
    {{- include "podium.containerSecurityContext" . | nindent 4 }}
{{- end -}}

{{- define "podium.migrateJobName" -}}{{ include "podium.fullname" . }}-migrate-{{ .Release.Revision }}{{- end -}}

{{/* A third-party image: repository:tag, pinned @digest when one is given (values.yaml gives one). */}}
{{- define "podium.pinnedImage" -}}
{{- printf "%s:%s" .repository .tag -}}{{- with .digest }}@{{ . }}{{- end -}}
{{- end }}
