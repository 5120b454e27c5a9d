// Log Analytics + workspace-based Application Insights with local (instrumentation-key) authentication off:
// telemetry is accepted only with an Entra token, which the host and the app get as the app's identity
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) after being given "Monitoring Metrics Publisher" here.
param logAnalyticsName string
param applicationInsightsName string
param location string
param tags object
@description('Who may send telemetry (the app\'s identity).')
param publisherPrincipalId string

var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
    features: { disableLocalAuth: true }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, publisherPrincipalId, monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: publisherPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// The connection string carries the instrumentation key, which is an identifier and not a credential here:
// with DisableLocalAuth, ingestion without an Entra token is refused.
output connectionString string = applicationInsights.properties.ConnectionString
output applicationInsightsName string = applicationInsights.name
