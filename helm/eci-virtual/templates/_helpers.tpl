{{- define "eci-virtual.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "eci-virtual.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "eci-virtual.labels" -}}
app.kubernetes.io/name: {{ include "eci-virtual.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "eci-virtual.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "eci-virtual.hooksImage" -}}
{{- default (printf "%s-hooks:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag)) .Values.controller.runner.hooksImage -}}
{{- end -}}

{{- define "eci-virtual.controllerName" -}}
{{- printf "%s-controller" (include "eci-virtual.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "eci-virtual.nodeName" -}}
{{- printf "%s-node" (include "eci-virtual.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "eci-virtual.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
fsGroup: {{ .Values.securityContext.runAsGroup }}
{{- end -}}

{{/* SQLite history on a volume: the controller replicas share the file on its node. */}}
{{- define "eci-virtual.historyOwnsVolume" -}}
{{- if and (eq .Values.history.driver "sqlite") .Values.history.sqlite.persistence.enabled -}}true{{- end -}}
{{- end -}}

{{- define "eci-virtual.historyClaimName" -}}
{{- .Values.history.sqlite.persistence.existingClaim | default (printf "%s-history" (include "eci-virtual.controllerName" .)) -}}
{{- end -}}
