{{/* The TernCluster's name: nameOverride or the release name. */}}
{{- define "tern-cluster.name" -}}
{{- default .Release.Name .Values.nameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "tern-cluster.labels" -}}
app.kubernetes.io/name: tern
app.kubernetes.io/instance: {{ include "tern-cluster.name" . }}
app.kubernetes.io/part-of: tern
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels tern-operator puts on the cluster's pods and Services. */}}
{{- define "tern-cluster.selectorLabels" -}}
app.kubernetes.io/name: tern
app.kubernetes.io/instance: {{ include "tern-cluster.name" . }}
{{- end -}}

{{/* The smallest replication factor of the cluster's namespaces (default 2). */}}
{{- define "tern-cluster.minReplicationFactor" -}}
{{- $min := 4 -}}
{{- range .Values.namespaces -}}
{{- $rf := int (default 2 .replicationFactor) -}}
{{- if lt $rf $min }}{{ $min = $rf }}{{ end -}}
{{- end -}}
{{- $min -}}
{{- end -}}
