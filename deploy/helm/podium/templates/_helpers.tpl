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
{{- define "podium.mediaClaim" -}}{{ include "podium.fullname" . }}-media{{- end -}}
{{- define "podium.workerServiceAccount" -}}{{ include "podium.fullname" . }}-grader{{- end -}}

{{/* A stable random value: the one already in the release's Secret, else a new one.
     Call with (dict "ctx" $ "key" "SECRET_KEY" "value" .Values.secrets.secretKey "length" 50) */}}
{{- define "podium.keepOrMake" -}}
{{- if .value -}}
{{- .value -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace (include "podium.secretName" .ctx) -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key | b64dec -}}
{{- else -}}
{{- randAlphaNum (int .length) -}}
{{- end -}}
{{- end -}}
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
  {{- if .Values.secrets.emailHostPassword }}
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

{{/* An init container that waits until the migrate Job has brought the schema up to date. */}}
{{- define "podium.waitForMigrations" -}}
- name: wait-for-migrations
  image: {{ include "podium.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["sh", "-c", "until python manage.py migrate --check --no-input >/dev/null 2>&1; do echo 'waiting for migrations'; sleep 5; done"]
  {{- include "podium.appEnv" . | nindent 2 }}
  volumeMounts:
    {{- include "podium.appVolumeMounts" . | nindent 4 }}
  resources:
    {{- toYaml .Values.waitForMigrations.resources | nindent 4 }}
  securityContext:
    {{- include "podium.containerSecurityContext" . | nindent 4 }}
{{- end -}}
