// The app's storage account: the Functions host (AzureWebJobsStorage: leases, timers, queue triggers, the Durable
// task hub when it is the backend), the job-events queue, the Flex Consumption deployment package and the
// `documents` container of uploaded files. Shared-key access is off: every client authenticates with Entra ID.
param name string
param location string
param tags object
@description('Blob containers to create (private).')
param containerNames array
@description('The app\'s identity: blob, queue and table data roles on the account.')
param dataPrincipalId string

// Blob Data Owner (not Contributor): the Functions host manages its own containers' leases and the deployment
// package; Queue and Table Data Contributor: queue triggers, job-events and the Durable task hub.
var dataRoles = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_35: the Flex Consumption app reaches the account over its public endpoint (no VNet integration in this template); shared-key access is off, so every request needs an Entra ID token with a data role
  // checkov:skip=CKV_AZURE_59: as CKV_AZURE_35: public network access stays on for the app, authentication is Entra ID only and blob public access is off
  // checkov:skip=CKV_AZURE_206: Standard_LRS (three copies in one datacenter) for host state, the deployment package and uploaded files; use Standard_ZRS or Standard_GZRS in production where the region offers it
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource dataAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in dataRoles: {
    name: guid(account.id, dataPrincipalId, role)
    scope: account
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: dataPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table
