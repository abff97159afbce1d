{{- define "buildserver.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "buildserver.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "buildserver.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "buildserver.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "buildserver.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The rules the operator needs in every namespace it watches: nothing more. */}}
{{- define "buildserver.watchRules" -}}
- apiGroups: ["buildserver.dev"]
  resources: ["buildassets", "ec2testruns", "balancereports"]
  verbs: ["get", "list", "watch", "patch", "update", "delete"]
- apiGroups: ["buildserver.dev"]
  resources: ["buildassets/status", "ec2testruns/status", "balancereports/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["buildserver.dev"]
  resources: ["buildassets/finalizers", "ec2testruns/finalizers", "balancereports/finalizers"]
  verbs: ["update"]
- apiGroups: [""]
  resources: ["configmaps", "secrets"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
# Workload identity: read a ServiceAccount's role annotation, and ask for its token (audience
# sts.amazonaws.com) to act as that role. See docs/security.md for what this right means.
- apiGroups: [""]
  resources: ["serviceaccounts"]
  verbs: ["get"]
- apiGroups: [""]
  resources: ["serviceaccounts/token"]
  verbs: ["create"]
{{- end -}}

{{/* The Deployment of one shard (dict "root" $ "shard" name), "" for the main one. */}}
{{- define "buildserver.shardName" -}}
{{- $name := include "buildserver.fullname" .root -}}
{{- if .shard -}}
{{- printf "%s-shard-%s" $name .shard -}}
{{- else -}}
{{- $name -}}
{{- end -}}
{{- end -}}

{{/* The pod selector of one shard's Deployment; without sharding, the release's selector alone. */}}
{{- define "buildserver.shardSelectorLabels" -}}
{{ include "buildserver.selectorLabels" .root }}
{{- if .root.Values.sharding.shards }}
buildserver.dev/operator-shard: {{ .shard | default "main" | quote }}
{{- end }}
{{- end -}}
