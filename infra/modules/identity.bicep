// The app's one identity: the Functions host (storage, Durable), the app's code (Cosmos DB, Blob and Queue Storage,
// Azure OpenAI), the deployment package and App Insights ingestion all authenticate as it. No keys.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
