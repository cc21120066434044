<#
.SYNOPSIS
    Builds, tests or packs ActorPipeline.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Target Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pack')]
    [string] $Target = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Where test results (TRX) and packages go.
    [string] $Artifacts = (Join-Path $PSScriptRoot 'artifacts')
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

function Invoke-Dotnet {
    param([Parameter(ValueFromRemainingArguments)] [string[]] $Arguments)
    Write-Host "> dotnet $($Arguments -join ' ')"
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) {
        throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE."
    }
}

$solution = Join-Path $PSScriptRoot 'ActorPipeline.sln'

Invoke-Dotnet restore $solution
Invoke-Dotnet build $solution --no-restore --configuration $Configuration

switch ($Target) {
    'Test' {
        $results = Join-Path $Artifacts 'test-results'
        Invoke-Dotnet test $solution --no-build --configuration $Configuration `
            --logger 'trx;LogFileName=tests.trx' --results-directory $results
    }
    'Pack' {
        Invoke-Dotnet pack (Join-Path $PSScriptRoot 'src/ActorPipeline/ActorPipeline.csproj') --no-build `
            --configuration $Configuration --output (Join-Path $Artifacts 'packages')
    }
}
