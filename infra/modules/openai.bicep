// An Azure OpenAI account with key authentication off and one model deployment; the app's identity may call it
// ("Cognitive Services OpenAI User": inference, files and batches; no management).
param name string
param location string
param tags object
param deploymentName string
param modelName string
param modelVersion string
param deploymentSku string
@description('Thousands of tokens per minute.')
param capacity int
param userPrincipalId string

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  // checkov:skip=CKV_AZURE_134: no VNet in this template (one command from a fresh clone, nothing billed at idle): the service is reached over its public endpoint and accepts Entra ID tokens only (local auth off)
  name: name
  location: location
  tags: tags
  kind: 'OpenAI'
  sku: { name: 'S0' }
  identity: { type: 'SystemAssigned' }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource deployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: account
  name: deploymentName
  sku: {
    name: deploymentSku
    capacity: capacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: modelName
      version: modelVersion
    }
  }
}

module access 'openai-access.bicep' = {
  name: 'openai-user'
  params: {
    accountName: account.name
    userPrincipalId: userPrincipalId
  }
  dependsOn: [deployment]
}

output endpoint string = account.properties.endpoint
output name string = account.name
