// Contract Jobs on Azure: `azd up` provisions everything below into one resource group and deploys the app.
// Keyless throughout: one user-assigned managed identity, Entra ID data-plane roles, no keys or secrets anywhere
// (storage shared keys, Cosmos DB local auth and Azure OpenAI keys are all turned off).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name (AZURE_ENV_NAME): with the subscription and location it seeds every name.')
param environmentName string

@minLength(1)
@description('Region of every resource (AZURE_LOCATION); it must offer Flex Consumption.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the user (or service principal) running azd (AZURE_PRINCIPAL_ID): gets Cosmos DB data access for debugging and setup. Empty: none.')
param principalId string = ''

@allowed(['User', 'ServicePrincipal'])
@description('What principalId is (AZURE_PRINCIPAL_TYPE): a user locally, a service principal in a pipeline.')
param principalType string = 'User'

@description('Resource group name; empty: rg-<environment name>.')
param resourceGroupName string = ''

// --- Cosmos DB --------------------------------------------------------------------------------------------------
@description('true: a serverless account (pay per request; nothing at idle). false: provisioned autoscale throughput shared by the database\'s containers (cosmosMaxThroughput).')
param cosmosServerless bool = true

@minValue(1000)
@description('Provisioned mode only: the database\'s autoscale maximum RU/s (it scales between 10 % and 100 % of this).')
param cosmosMaxThroughput int = 1000

// --- Azure OpenAI -----------------------------------------------------------------------------------------------
@description('An existing Azure OpenAI (or AI Foundry) endpoint to use instead of creating an account, e.g. https://my-aoai.openai.azure.com/. Empty: create one.')
param openAiEndpoint string = ''

@description('With openAiEndpoint: the resource id of that account (same tenant), so the app\'s identity is given "Cognitive Services OpenAI User" on it. Empty: grant the role yourself (README).')
param openAiResourceId string = ''

@description('Deployment name the app calls (AZURE_OPENAI_DEPLOYMENT_PRIMARY); with an existing endpoint, the name of a deployment there.')
param openAiDeploymentName string = 'gpt-4o'

@description('Model of the created deployment.')
param openAiModelName string = 'gpt-4o'

@description('Model version of the created deployment.')
param openAiModelVersion string = '2024-11-20'

@allowed(['GlobalStandard', 'DataZoneStandard', 'Standard'])
@description('Deployment type of the created deployment.')
param openAiDeploymentSku string = 'GlobalStandard'

@minValue(1)
@description('Capacity of the created deployment, in thousands of tokens per minute.')
param openAiCapacity int = 30

@description('Region of the created Azure OpenAI account (where the model is offered); empty: location.')
param openAiLocation string = ''

// --- App Service Authentication --------------------------------------------------------------------------------
@description('Application (client) id of the Entra ID app registration users sign in to (AUTH_CLIENT_ID); it defines the app role "ops". See README, Deploying to Azure.')
param authClientId string

@description('Tenant of that app registration; default: the deployment\'s tenant.')
param authTenantId string = tenant().tenantId

// --- Functions ----------------------------------------------------------------------------------------------------
@allowed(['AzureStorage', 'DurableTaskScheduler'])
@description('Durable Functions backend: the storage account (queues, tables, blobs), or the Durable Task Scheduler (consumption SKU).')
param durableBackend string = 'AzureStorage'

@minValue(1)
@maxValue(1000)
@description('Flex Consumption: most instances the app scales out to.')
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
@description('Flex Consumption: memory of each instance, in MB.')
param instanceMemoryMB int = 2048

@secure()
@description('Key of the HMAC that turns user ids into telemetry\'s user.hash: generated once by azd and kept in the environment.')
@metadata({ azd: { type: 'generate', config: { length: 40, noSpecial: true } } })
param telemetryUserSalt string

// -------------------------------------------------------------------------------------------------------------------
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var serviceName = 'api'
var functionAppName = 'func-${resourceToken}'
// Flex Consumption deploys from a blob container: one per app, named after it.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var createOpenAi = empty(openAiEndpoint)
// The Cosmos containers, their partition keys, TTLs and index policies: generated from the app's own definitions
// (python scripts/cosmos_containers.py; tests/infra/test_cosmos_containers.py fails when the two drift).
var cosmosSpec = loadJsonContent('cosmos-containers.json')

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    publisherPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    containerNames: [deploymentContainerName, 'documents']
    dataPrincipalId: identity.outputs.principalId
  }
}

module cosmos 'modules/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    name: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    serverless: cosmosServerless
    maxThroughput: cosmosMaxThroughput
    databaseName: cosmosSpec.database
    containers: cosmosSpec.containers
    dataPrincipalIds: empty(principalId) ? [identity.outputs.principalId] : [identity.outputs.principalId, principalId]
  }
}

module openAi 'modules/openai.bicep' = if (createOpenAi) {
  name: 'openai'
  scope: rg
  params: {
    name: 'oai-${resourceToken}'
    location: !empty(openAiLocation) ? openAiLocation : location
    tags: tags
    deploymentName: openAiDeploymentName
    modelName: openAiModelName
    modelVersion: openAiModelVersion
    deploymentSku: openAiDeploymentSku
    capacity: openAiCapacity
    userPrincipalId: identity.outputs.principalId
  }
}

// An existing account in this tenant: only the role assignment, in the account's own resource group.
module openAiExistingAccess 'modules/openai-access.bicep' = if (!createOpenAi && !empty(openAiResourceId)) {
  name: 'openai-access'
  scope: resourceGroup(split(openAiResourceId, '/')[2], split(openAiResourceId, '/')[4])
  params: {
    accountName: last(split(openAiResourceId, '/'))
    userPrincipalId: identity.outputs.principalId
  }
}

module durableTaskScheduler 'modules/durable-task-scheduler.bicep' = if (durableBackend == 'DurableTaskScheduler') {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: 'dts-${resourceToken}'
    location: location
    tags: tags
    contributorPrincipalId: identity.outputs.principalId
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': serviceName })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    authClientId: authClientId
    authTenantId: authTenantId
    durableTaskSchedulerEndpoint: durableBackend == 'DurableTaskScheduler' ? durableTaskScheduler.outputs.endpoint : ''
    durableTaskHubName: durableBackend == 'DurableTaskScheduler' ? durableTaskScheduler.outputs.taskHubName : ''
    appSettings: {
      COSMOS_ENDPOINT: cosmos.outputs.endpoint
      COSMOS_DATABASE: cosmosSpec.database
      JOB_TTL_SECONDS: string(cosmosSpec.jobTtlSeconds)
      LLM_PROVIDER: 'azure_openai'
      AZURE_OPENAI_ENDPOINT: createOpenAi ? openAi.outputs.endpoint : openAiEndpoint
      AZURE_OPENAI_DEPLOYMENT_PRIMARY: openAiDeploymentName
      TELEMETRY_USER_SALT: telemetryUserSalt
    }
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output SERVICE_API_NAME string = functionApp.outputs.name
output SERVICE_API_URI string = functionApp.outputs.uri
output AZURE_CLIENT_ID string = identity.outputs.clientId
output COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output COSMOS_DATABASE string = cosmosSpec.database
output AZURE_OPENAI_ENDPOINT string = createOpenAi ? openAi.outputs.endpoint : openAiEndpoint
output AZURE_OPENAI_DEPLOYMENT_PRIMARY string = openAiDeploymentName
output AUTH_CLIENT_ID string = authClientId
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
