{{/* Names ---------------------------------------------------------------------------------------------------- */}}

{{- define "face-platform.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "face-platform.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The four services of the platform. */}}
{{- define "face-platform.services" -}}
gateway identity embedding attributes
{{- end -}}

{{- define "face-platform.isInference" -}}
{{- if or (eq . "embedding") (eq . "attributes") -}}true{{- end -}}
{{- end -}}

{{/* Labels: dict "ctx" $ "component" "gateway" ---------------------------------------------------------------- */}}

{{- define "face-platform.selectorLabels" -}}
app.kubernetes.io/name: {{ include "face-platform.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "face-platform.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "face-platform.selectorLabels" . }}
app.kubernetes.io/part-of: faceplatform
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end -}}

{{/* Images ---------------------------------------------------------------------------------------------------- */}}

{{/* dict "ctx" $ "image" .Values.gateway.image "suffix" "" */}}
{{- define "face-platform.image" -}}
{{- $tag := default (default .ctx.Chart.AppVersion .ctx.Values.imageTag) .image.tag -}}
{{- printf "%s%s:%s%s" .ctx.Values.imageRegistry .image.repository $tag (default "" .suffix) -}}
{{- end -}}

{{/* Image of a service: the CUDA variant for embedding/attributes when the GPU is on. dict "ctx" $ "component" name */}}
{{- define "face-platform.serviceImage" -}}
{{- $svc := index .ctx.Values .component -}}
{{- $suffix := "" -}}
{{- if and (include "face-platform.isInference" .component) .ctx.Values.inference.gpu.enabled -}}
{{- $suffix = .ctx.Values.inference.gpu.imageTagSuffix -}}
{{- end -}}
{{- include "face-platform.image" (dict "ctx" .ctx "image" $svc.image "suffix" $suffix) -}}
{{- end -}}

{{- define "face-platform.modelImportImage" -}}
{{- include "face-platform.image" (dict "ctx" . "image" .Values.models.import.image) -}}
{{- end -}}

{{/* Misc ------------------------------------------------------------------------------------------------------ */}}

{{- define "face-platform.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "face-platform.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "face-platform.secretName" -}}
{{- default (include "face-platform.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "face-platform.modelsClaimName" -}}
{{- default (printf "%s-models" (include "face-platform.fullname" .)) .Values.models.persistence.existingClaim -}}
{{- end -}}

{{/* Whether Redis needs a password. */}}
{{- define "face-platform.redisAuth" -}}
{{- if or .Values.redis.enabled .Values.externalRedis.auth -}}true{{- end -}}
{{- end -}}

{{/* Address of an internal service's gRPC endpoint (mutual TLS), as the gateway dials it. dict "ctx" $ "component" name */}}
{{- define "face-platform.upstreamUrl" -}}
{{- $svc := index .ctx.Values .component -}}
{{- $host := printf "%s-%s" (include "face-platform.fullname" .ctx) .component -}}
{{- if .ctx.Values.gateway.upstreams.clientSideLoadBalancing -}}
{{- printf "dns:///%s.%s.svc.cluster.local:%v" $host .ctx.Release.Namespace $svc.ports.grpc -}}
{{- else -}}
{{- printf "https://%s:%v" $host $svc.ports.grpc -}}
{{- end -}}
{{- end -}}

{{/* Connection settings (env entries) ------------------------------------------------------------------------ */}}

{{/* Env entries that build ConnectionStrings__Postgres; the password comes from the Secret and is expanded by the
     kubelet ($(VAR)), so it never appears in a manifest or ConfigMap. */}}
{{- define "face-platform.postgresEnv" -}}
{{- $mode := include "face-platform.databaseMode" . -}}
{{- $host := "" -}}{{- $readOnlyHost := "" -}}{{- $port := "5432" -}}{{- $db := "" -}}{{- $user := "" -}}{{- $params := "" -}}
{{- $secretName := include "face-platform.secretName" . -}}{{- $secretKey := .Values.secrets.keys.postgresPassword -}}
{{- if eq $mode "bundled" -}}
{{- $host = printf "%s-postgresql" (include "face-platform.fullname" .) -}}
{{- $db = .Values.postgresql.auth.database -}}
{{- $user = .Values.postgresql.auth.username -}}
{{- else if eq $mode "cnpg" -}}
{{- /* The operator's Services: -rw follows the primary, -ro balances over the replicas. The application user's
     password is in the Secret the operator makes for the initdb owner. */ -}}
{{- $cluster := include "face-platform.cnpgClusterName" . -}}
{{- $host = printf "%s-rw" $cluster -}}
{{- $readOnlyHost = printf "%s-ro" $cluster -}}
{{- $db = .Values.cnpg.database -}}
{{- $user = .Values.cnpg.owner -}}
{{- $secretName = printf "%s-app" $cluster -}}
{{- $secretKey = "password" -}}
{{- else -}}
{{- $host = required "externalDatabase.host is required when database.mode=external (or postgresql.enabled=false)" .Values.externalDatabase.host -}}
{{- $port = toString .Values.externalDatabase.port -}}
{{- $db = .Values.externalDatabase.database -}}
{{- $user = .Values.externalDatabase.username -}}
{{- $params = .Values.externalDatabase.parameters -}}
{{- end -}}
{{- $suffix := ternary (printf ";%s" (trimPrefix ";" $params)) "" (ne $params "") -}}
- name: FACEPLATFORM_POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secretName }}
      key: {{ $secretKey }}
- name: ConnectionStrings__Postgres
  value: {{ printf "Host=%s;Port=%s;Username=%s;Password=$(FACEPLATFORM_POSTGRES_PASSWORD);Database=%s%s" $host $port $user $db $suffix | quote }}
{{- if $readOnlyHost }}
- name: ConnectionStrings__PostgresReadOnly
  value: {{ printf "Host=%s;Port=%s;Username=%s;Password=$(FACEPLATFORM_POSTGRES_PASSWORD);Database=%s%s" $readOnlyHost $port $user $db $suffix | quote }}
{{- end }}
{{- end -}}

{{/* The database identity uses: bundled, cnpg or external (database.mode; "" follows postgresql.enabled). */}}
{{- define "face-platform.databaseMode" -}}
{{- .Values.database.mode | default (ternary "bundled" "external" .Values.postgresql.enabled) -}}
{{- end -}}

{{/* Name of the CloudNativePG Cluster; the operator names its Services <name>-rw, -ro, -r and its Secrets <name>-app. */}}
{{- define "face-platform.cnpgClusterName" -}}
{{- printf "%s-pg" (include "face-platform.fullname" .) | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{/* Env entries that build ConnectionStrings__Redis (StackExchange.Redis). abortConnect=false: Redis is a cache,
     a service must start (slower) without it. */}}
{{- define "face-platform.redisEnv" -}}
{{- $host := "" -}}{{- $port := "" -}}{{- $extra := "" -}}
{{- if .Values.redis.enabled -}}
{{- $host = printf "%s-redis" (include "face-platform.fullname" .) -}}
{{- $port = "6379" -}}
{{- else -}}
{{- $host = required "externalRedis.host is required when redis.enabled=false" .Values.externalRedis.host -}}
{{- $port = toString .Values.externalRedis.port -}}
{{- if .Values.externalRedis.ssl -}}{{- $extra = ",ssl=true" -}}{{- end -}}
{{- if .Values.externalRedis.parameters -}}{{- $extra = printf "%s,%s" $extra (trimPrefix "," .Values.externalRedis.parameters) -}}{{- end -}}
{{- end -}}
{{- if include "face-platform.redisAuth" . }}
- name: FACEPLATFORM_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "face-platform.secretName" . }}
      key: {{ .Values.secrets.keys.redisPassword }}
- name: ConnectionStrings__Redis
  value: {{ printf "%s:%s,password=$(FACEPLATFORM_REDIS_PASSWORD),abortConnect=false%s" $host $port $extra | quote }}
{{- else }}
- name: ConnectionStrings__Redis
  value: {{ printf "%s:%s,abortConnect=false%s" $host $port $extra | quote }}
{{- end }}
{{- end -}}

{{/* Downward-API env and OpenTelemetry resource attributes shared by every service container. */}}
{{- define "face-platform.commonEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: NODE_NAME
  valueFrom:
    fieldRef:
      fieldPath: spec.nodeName
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),k8s.node.name=$(NODE_NAME)"
{{- end -}}

{{/* Internal TLS ------------------------------------------------------------------------------------------------ */}}

{{/* Secret (tls.crt, tls.key, ca.crt) holding a service's certificate for the mutual TLS between services. */}}
{{- define "face-platform.tlsSecretName" -}}
{{- if eq .ctx.Values.internalTls.source "existingSecrets" -}}
{{- required (printf "internalTls.existingSecrets.%s is required when internalTls.source=existingSecrets" .component) (index .ctx.Values.internalTls.existingSecrets .component) -}}
{{- else -}}
{{- printf "%s-%s-tls" (include "face-platform.fullname" .ctx) .component -}}
{{- end -}}
{{- end -}}

{{/* DNS names a service's certificate must carry: every name the gateway may dial it by. dict "ctx" $ "component" name */}}
{{- define "face-platform.tlsDnsNames" -}}
{{- $host := printf "%s-%s" (include "face-platform.fullname" .ctx) .component -}}
{{- $ns := .ctx.Release.Namespace -}}
{{- list $host (printf "%s.%s" $host $ns) (printf "%s.%s.svc" $host $ns) (printf "%s.%s.svc.cluster.local" $host $ns) | toJson -}}
{{- end -}}

{{/* Mount path of the service's certificate. */}}
{{- define "face-platform.tlsMountPath" -}}/etc/faceplatform/tls{{- end -}}

{{/* ConfigMap entries (non-secret) that point a service at its mounted certificate. */}}
{{- define "face-platform.tlsConfig" -}}
InternalTls__CertificatePath: {{ printf "%s/tls.crt" (include "face-platform.tlsMountPath" .) | quote }}
InternalTls__KeyPath: {{ printf "%s/tls.key" (include "face-platform.tlsMountPath" .) | quote }}
InternalTls__CaPath: {{ printf "%s/ca.crt" (include "face-platform.tlsMountPath" .) | quote }}
{{- end -}}
