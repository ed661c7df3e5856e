{{/* Names and labels. */}}
{{- define "fleetstats.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "fleetstats.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "webhook") */}}
{{- define "fleetstats.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* An image: (dict "root" $ "name" "edge-agent") */}}
{{- define "fleetstats.image" -}}
{{- $img := .root.Values.image -}}
{{- $repo := printf "%s/%s" $img.repositoryPrefix .name -}}
{{- if $img.registry }}{{ $repo = printf "%s/%s" $img.registry $repo }}{{ end -}}
{{- printf "%s:%s" $repo (default .root.Chart.AppVersion $img.tag) -}}
{{- end -}}

{{- define "fleetstats.pullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The edge role's checks, run by every edge template. */}}
{{- define "fleetstats.checkEdge" -}}
{{- if not .Values.clusterName -}}
{{- fail "clusterName is required when edge.enabled: set it to this cluster's name (e.g. --set clusterName=prod-eu-1); it becomes the cluster tag of every series, and clusters without one would merge" -}}
{{- end -}}
{{- end -}}

{{/* Whether injected sidecars are native (init containers with restartPolicy Always). */}}
{{- define "fleetstats.nativeSidecar" -}}
{{- $n := toString .Values.sidecar.native -}}
{{- if eq $n "auto" -}}
{{- semverCompare ">=1.29.0-0" .Capabilities.KubeVersion.Version -}}
{{- else -}}
{{- eq $n "true" -}}
{{- end -}}
{{- end -}}

{{/*
Kafka connection: environment of every Fleetstats container (FLEETSTATS_KAFKA_<PROPERTY> is the
Kafka client property <property>). Secrets are read from the pod's namespace.
*/}}
{{- define "fleetstats.kafkaEnv" -}}
{{- $k := .Values.kafka -}}
- name: FLEETSTATS_KAFKA_BOOTSTRAP
  value: {{ $k.bootstrapServers | quote }}
- name: FLEETSTATS_TOPIC_PREFIX
  value: {{ $k.topicPrefix | quote }}
{{- if ne $k.securityProtocol "PLAINTEXT" }}
- name: FLEETSTATS_KAFKA_SECURITY_PROTOCOL
  value: {{ $k.securityProtocol | quote }}
{{- end }}
{{- if $k.tls.caSecret }}
- name: FLEETSTATS_KAFKA_SSL_TRUSTSTORE_TYPE
  value: PEM
- name: FLEETSTATS_KAFKA_SSL_TRUSTSTORE_LOCATION
  value: /etc/fleetstats/kafka-ca/{{ $k.tls.caCertKey }}
{{- end }}
{{- if $k.tls.userSecret }}
- name: FLEETSTATS_KAFKA_SSL_KEYSTORE_TYPE
  value: PKCS12
- name: FLEETSTATS_KAFKA_SSL_KEYSTORE_LOCATION
  value: /etc/fleetstats/kafka-user/{{ $k.tls.keystoreKey }}
- name: FLEETSTATS_KAFKA_SSL_KEYSTORE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $k.tls.userSecret }}
      key: {{ $k.tls.keystorePasswordKey }}
{{- end }}
{{- if $k.sasl.secret }}
- name: FLEETSTATS_KAFKA_SASL_MECHANISM
  value: {{ $k.sasl.mechanism | quote }}
- name: FLEETSTATS_KAFKA_SASL_JAAS_CONFIG
  valueFrom:
    secretKeyRef:
      name: {{ $k.sasl.secret }}
      key: {{ $k.sasl.jaasConfigKey }}
{{- end }}
{{- range $prop, $value := $k.extraProperties }}
- name: {{ printf "FLEETSTATS_KAFKA_%s" ($prop | replace "." "_" | replace "-" "_" | upper) }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{- define "fleetstats.kafkaVolumeMounts" -}}
{{- if .Values.kafka.tls.caSecret }}
- name: fleetstats-kafka-ca
  mountPath: /etc/fleetstats/kafka-ca
  readOnly: true
{{- end }}
{{- if .Values.kafka.tls.userSecret }}
- name: fleetstats-kafka-user
  mountPath: /etc/fleetstats/kafka-user
  readOnly: true
{{- end }}
{{- end -}}

{{- define "fleetstats.kafkaVolumes" -}}
{{- if .Values.kafka.tls.caSecret }}
- name: fleetstats-kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret }}
    items:
      - key: {{ .Values.kafka.tls.caCertKey }}
        path: {{ .Values.kafka.tls.caCertKey }}
{{- end }}
{{- if .Values.kafka.tls.userSecret }}
- name: fleetstats-kafka-user
  secret:
    secretName: {{ .Values.kafka.tls.userSecret }}
    items:
      - key: {{ .Values.kafka.tls.keystoreKey }}
        path: {{ .Values.kafka.tls.keystoreKey }}
{{- end }}
{{- end -}}

{{/* The writable paths of a read-only root filesystem: /tmp (native libraries unpack there). */}}
{{- define "fleetstats.tmpVolumeMount" -}}
- name: fleetstats-tmp
  mountPath: /tmp
{{- end -}}

{{- define "fleetstats.tmpVolume" -}}
- name: fleetstats-tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{- define "fleetstats.httpProbes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: admin
  initialDelaySeconds: 10
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 6
readinessProbe:
  httpGet:
    path: /readyz
    port: admin
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}

{{/*
The edge agent as a sidecar container (a map, for a list item). Usable from manifests that add
the sidecar themselves, with this chart as a dependency:
  containers:
    - {{ include "fleetstats.edgeSidecar" (dict "Values" .Values.fleetstats "Chart" .Subcharts.fleetstats.Chart "Capabilities" .Capabilities) | nindent 6 }}
Its volumes: "fleetstats.edgeSidecarVolumes". The readiness and liveness probes are /healthz, which
never depends on Kafka: a Kafka outage must not take the application out of its Service.
*/}}
{{- define "fleetstats.edgeSidecar" -}}
{{- $s := .Values.sidecar -}}
name: fleetstats-edge
image: {{ include "fleetstats.image" (dict "root" . "name" "edge-agent") }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
env:
  - name: FLEETSTATS_CLUSTER
    value: {{ .Values.clusterName | quote }}
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
  - name: NAMESPACE
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
  - name: NODE_HOSTNAME
    valueFrom:
      fieldRef:
        fieldPath: spec.nodeName
  - name: POD_UID
    valueFrom:
      fieldRef:
        fieldPath: metadata.uid
  {{- /* pod labels as tags: one variable per label (Downward API), then FLEETSTATS_GLOBAL_TAGS
         refers to them with Kubernetes' $(VAR) expansion */}}
  {{- range $i, $label := $s.podLabelsAsTags }}
  - name: {{ printf "POD_LABEL_%d" $i }}
    valueFrom:
      fieldRef:
        fieldPath: {{ printf "metadata.labels['%s']" $label }}
  {{- end }}
  {{- with $s.podLabelsAsTags }}
  {{- $pairs := list }}
  {{- range $i, $label := . }}
  {{- $pairs = append $pairs (printf "%s=$(POD_LABEL_%d)" $label $i) }}
  {{- end }}
  - name: FLEETSTATS_GLOBAL_TAGS
    value: {{ join "," $pairs | quote }}
  {{- end }}
  {{- include "fleetstats.kafkaEnv" . | nindent 2 }}
  - name: FLEETSTATS_CREATE_TOPICS
    value: "false"
  - name: FLEETSTATS_STATSD_ADDRESS
    value: {{ $s.statsdAddress | quote }}
  - name: FLEETSTATS_ADMIN_ADDRESS
    value: {{ printf ":%d" (int $s.adminPort) | quote }}
  - name: FLEETSTATS_BUFFER_MAX_BYTES
    value: {{ $s.bufferMaxBytes | quote }}
  {{- if $s.spool.enabled }}
  - name: FLEETSTATS_SPOOL_DIR
    value: /var/lib/fleetstats/spool
  {{- end }}
  {{- with $s.jvmOptions }}
  - name: JDK_JAVA_OPTIONS
    value: {{ . | quote }}
  {{- end }}
  {{- with $s.extraEnv }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
ports:
  - name: fs-statsd
    containerPort: {{ (split ":" $s.statsdAddress)._1 | int }}
    protocol: UDP
  - name: fs-admin
    containerPort: {{ $s.adminPort }}
    protocol: TCP
startupProbe:
  httpGet:
    path: /healthz
    port: {{ $s.adminPort }}
  periodSeconds: 1
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /healthz
    port: {{ $s.adminPort }}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 6
readinessProbe:
  httpGet:
    path: /healthz
    port: {{ $s.adminPort }}
  periodSeconds: 10
  timeoutSeconds: 3
resources:
  {{- toYaml $s.resources | nindent 2 }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: fleetstats-tmp
    mountPath: /tmp
  {{- if $s.spool.enabled }}
  - name: fleetstats-spool
    mountPath: /var/lib/fleetstats
  {{- end }}
  {{- include "fleetstats.kafkaVolumeMounts" . | nindent 2 }}
{{- end -}}

{{/* The sidecar's volumes (list items). */}}
{{- define "fleetstats.edgeSidecarVolumes" -}}
- name: fleetstats-tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .Values.sidecar.spool.enabled }}
- name: fleetstats-spool
  emptyDir:
    sizeLimit: {{ .Values.sidecar.spool.sizeLimit }}
{{- end }}
{{- include "fleetstats.kafkaVolumes" . }}
{{- end -}}

{{/* clusterTags as k=v,k2=v2 (sorted by key). */}}
{{- define "fleetstats.clusterTags" -}}
{{- $pairs := list -}}
{{- range $k, $v := .Values.clusterTags -}}
{{- $pairs = append $pairs (printf "%s=%s" $k (toString $v)) -}}
{{- end -}}
{{- join "," $pairs -}}
{{- end -}}

{{/* The topic settings every central service and the topic Job share. */}}
{{- define "fleetstats.topicEnv" -}}
- name: FLEETSTATS_TOPIC_PARTITIONS
  value: {{ .Values.topics.partitions | quote }}
- name: FLEETSTATS_TOPIC_REPLICATION
  value: {{ .Values.topics.replicationFactor | quote }}
- name: FLEETSTATS_RAW_RETENTION
  value: {{ .Values.topics.rawRetention | quote }}
{{- end -}}

{{/* Identity env of the chart's own services (cluster, namespace, pod). */}}
{{- define "fleetstats.identityEnv" -}}
{{- with .Values.clusterName }}
- name: FLEETSTATS_CLUSTER
  value: {{ . | quote }}
{{- end }}
- name: FLEETSTATS_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: FLEETSTATS_POD
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- end -}}

{{/* Self-metrics of a service (selfMetrics.target; nothing when empty, the services' default off). */}}
{{- define "fleetstats.selfMetricsEnv" -}}
{{- with .Values.selfMetrics.target }}
- name: FLEETSTATS_SELF_METRICS
  value: {{ . | quote }}
{{- with $.Values.selfMetrics.step }}
- name: FLEETSTATS_SELF_METRICS_STEP
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}
