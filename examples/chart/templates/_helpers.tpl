{{/* The release's base name: the release name, prefixed with the chart name unless it has it. */}}
{{- define "starter.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* The name of one component's objects: (dict "root" $ "component" "api") */}}
{{- define "starter.componentName" -}}
{{- printf "%s-%s" (include "starter.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select one component's pods. */}}
{{- define "starter.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every object's labels. */}}
{{- define "starter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "starter.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* The Secret holding a component's secret env: <component>.secretName or <name>-secrets. */}}
{{- define "starter.secretName" -}}
{{- $values := index .root.Values .component -}}
{{- if $values.secretName -}}
{{- $values.secretName -}}
{{- else -}}
{{- printf "%s-secrets" (include "starter.componentName" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* "true" when the chart renders a Secret (static or External) for the component. */}}
{{- define "starter.hasSecrets" -}}
{{- $values := index .root.Values .component -}}
{{- if .root.Values.externalSecrets.enabled -}}
{{- if (index .root.Values.externalSecrets .component).data }}true{{ end -}}
{{- else if $values.secrets -}}
true
{{- end -}}
{{- end -}}

{{/* A host entry: `- host: name` or a bare string. */}}
{{- define "starter.host" -}}
{{- if kindIs "map" . }}{{ .host }}{{ else }}{{ . }}{{ end -}}
{{- end -}}

{{/* A container's env from a map, values as quoted strings, plus envFrom the component's Secret. */}}
{{- define "starter.env" -}}
{{- if .env }}
env:
{{- range $name, $value := .env }}
  - name: {{ $name | quote }}
    value: {{ $value | toString | quote }}
{{- end }}
{{- end }}
{{- if include "starter.hasSecrets" . }}
envFrom:
  - secretRef:
      name: {{ include "starter.secretName" . }}
{{- end }}
{{- end -}}
