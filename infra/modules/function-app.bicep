// The Function App on Flex Consumption (Linux, Python 3.11) running as the user-assigned identity, with
// identity-based connections only, and App Service Authentication (Entra ID) in front of every route.
param name string
param planName string
param location string
@description('Tags, including azd-service-name (how `azd deploy` finds the app).')
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param maximumInstanceCount int
param instanceMemoryMB int
param applicationInsightsConnectionString string
param authClientId string
param authTenantId string
@description('Durable Task Scheduler endpoint; empty: Durable Functions keeps its state in the storage account.')
param durableTaskSchedulerEndpoint string = ''
param durableTaskHubName string = ''
@description('The app\'s own settings (Cosmos DB, Azure OpenAI, telemetry salt), merged over the platform ones.')
param appSettings object

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  // checkov:skip=CKV_AZURE_225: zone redundancy on Flex Consumption keeps at least two always-ready instances per function group, billed while idle; this template scales to zero
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// AzureWebJobsStorage the Functions way, without a connection string: the service URIs, the credential kind and
// which user-assigned identity (https://learn.microsoft.com/azure/azure-functions/functions-reference#connecting-to-host-storage-with-an-identity).
// The host (queue triggers, timers, Durable on Azure Storage) and the app's own blob and queue clients
// (shared/azure_connections.py) read the same settings.
var storageSettings = {
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
}

var platformSettings = {
  // DefaultAzureCredential (Cosmos DB, Azure OpenAI) picks the user-assigned identity by this client id.
  AZURE_CLIENT_ID: identityClientId
  AzureWebJobsFeatureFlags: 'EnableWorkerIndexing'
  PYTHON_ENABLE_INIT_INDEXING: '1'
  // The Python worker's one pool of threads for sync functions: activities wait on the model (host.json lets 16 run
  // at once), beside orchestrator episodes and HTTP calls. Unset, it is cores + 4: 5 or 6 on a Flex instance.
  PYTHON_THREADPOOL_THREAD_COUNT: '32'
  // Telemetry: the host and the app (azure-monitor-opentelemetry) both read these; ingestion with an Entra token
  // of the app's identity (the component refuses the instrumentation key alone).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  PYTHON_ENABLE_OPENTELEMETRY: 'true'
  // App Service Authentication's own client credential: a token of the app's identity, trusted by the app
  // registration through a federated identity credential, instead of a client secret.
  OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID: identityClientId
}

var useScheduler = !empty(durableTaskSchedulerEndpoint)
// Durable Task Scheduler: host.json's storage provider and hub name overridden by app settings; the connection
// names the endpoint and the identity, and carries no secret.
var schedulerSettings = useScheduler ? {
  DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
  AzureFunctionsJobHost__extensions__durableTask__hubName: durableTaskHubName
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged'
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING'
} : {}

var allSettings = union(storageSettings, platformSettings, schedulerSettings, appSettings)

resource site 'Microsoft.Web/sites@2024-04-01' = {
  // checkov:skip=CKV_AZURE_222: the app is a public HTTP API and web page; App Service Authentication (Entra ID) guards every route but the health check
  // checkov:skip=CKV_AZURE_17: callers authenticate with Entra ID (browser sign-in or bearer token); required client certificates would shut out browsers
  // checkov:skip=CKV_AZURE_212: Flex Consumption scales instances by demand (numberOfWorkers does not apply); a minimum would mean always-ready instances billed while idle
  // checkov:skip=CKV_AZURE_213: App Service health check evicts instances of a fixed pool; Flex Consumption instances are event-scaled, and the anonymous GET /api/jobs/health stays available for external probes
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      appSettings: [for setting in items(allSettings): { name: setting.key, value: setting.value }]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }
}

// No publishing with user names and passwords: `azd deploy` authenticates with Entra ID.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// App Service Authentication: every request signs in with Entra ID (browsers are redirected, API clients send a
// bearer token for the app registration); the platform strips client-sent X-MS-CLIENT-PRINCIPAL* headers and
// sets its own, which is all the app trusts (shared/identity.py). Only the anonymous health check is left open.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  // checkov:skip=CKV_AZURE_13: the check reads the legacy authsettings shape (properties.enabled); authsettingsV2 turns authentication on with platform.enabled, which CKV_AZURE_56 checks and passes
  // checkov:skip=CKV_AZURE_63: checkov applies its siteConfig checks to every Microsoft.Web/sites/config resource; this one is authsettingsV2, which has no such property (httpLoggingEnabled)
  // checkov:skip=CKV_AZURE_65: checkov applies its siteConfig checks to every Microsoft.Web/sites/config resource; this one is authsettingsV2, which has no such property (detailedErrorLoggingEnabled)
  // checkov:skip=CKV_AZURE_66: checkov applies its siteConfig checks to every Microsoft.Web/sites/config resource; this one is authsettingsV2, which has no such property (requestTracingEnabled)
  // checkov:skip=CKV_AZURE_80: checkov applies its siteConfig checks to every Microsoft.Web/sites/config resource; this one is authsettingsV2, which has no such property (netFrameworkVersion; the app is Python)
  // checkov:skip=CKV_AZURE_88: checkov applies its siteConfig checks to every Microsoft.Web/sites/config resource; this one is authsettingsV2, which has no such property (azureStorageAccounts; the app mounts no file share)
  // checkov:skip=CKV_AZURE_222: checkov applies its siteConfig checks to every Microsoft.Web/sites/config resource; this one is authsettingsV2, which has no such property (publicNetworkAccess; see the same check on the site)
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'RedirectToLoginPage'
      redirectToProvider: 'azureactivedirectory'
      excludedPaths: ['/api/jobs/health']
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID'
          openIdIssuer: '${environment().authentication.loginEndpoint}${authTenantId}/v2.0'
        }
        validation: {
          allowedAudiences: ['api://${authClientId}', authClientId]
        }
      }
    }
    login: {
      tokenStore: { enabled: false }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
