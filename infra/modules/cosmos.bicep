// Cosmos DB for NoSQL with local (key) authentication off: the app and the deploying user reach the data plane
// with Entra ID only, through the built-in Data Contributor role. The database and every container the app uses
// are created here (with Entra ID the data plane cannot create them), from cosmos-containers.json.
param name string
param location string
param tags object
@description('true: serverless; false: provisioned autoscale throughput on the database.')
param serverless bool
@description('Provisioned mode: the database\'s autoscale maximum RU/s.')
param maxThroughput int
param databaseName string
@description('Container resource bodies (id, partitionKey, indexingPolicy, defaultTtl), from cosmos-containers.json.')
param containers array
@description('Principals given the built-in "Cosmos DB Built-in Data Contributor" role on the account.')
param dataPrincipalIds array

// Built-in data-plane role: read and write items, query, change feed (no account or container management).
var dataContributorRoleId = '00000000-0000-0000-0000-000000000002'

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  // checkov:skip=CKV_AZURE_101: no VNet in this template (one command from a fresh clone, nothing billed at idle): the service is reached over its public endpoint and accepts Entra ID tokens only (local auth off)
  // checkov:skip=CKV_AZURE_99: as CKV_AZURE_101: no IP or VNet filter, because the Flex Consumption app has no fixed outbound address without a VNet
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    consistencyPolicy: { defaultConsistencyLevel: 'Session' }
    capabilities: serverless ? [{ name: 'EnableServerless' }] : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: { id: databaseName }
    options: serverless ? {} : { autoscaleSettings: { maxThroughput: maxThroughput } }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for container in containers: {
    parent: database
    name: container.id
    properties: {
      resource: container
    }
  }
]

resource dataAccess 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = [
  for principalId in dataPrincipalIds: {
    parent: account
    name: guid(account.id, principalId, dataContributorRoleId)
    properties: {
      roleDefinitionId: '${account.id}/sqlRoleDefinitions/${dataContributorRoleId}'
      principalId: principalId
      scope: account.id
    }
  }
]

output endpoint string = account.properties.documentEndpoint
output name string = account.name
