<#
.SYNOPSIS
    Builds, tests or packs ActorPipeline.
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Target Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Pack', 'Bench')]
    [string] $Target = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Where test results (TRX), packages and benchmark results go.
    [string] $Artifacts = (Join-Path $PSScriptRoot 'artifacts'),

    # With -Target Bench: short runs (ratios rougher), written to artifacts/ instead of docs/.
    [switch] $Quick,

    # With -Target Pack: a pre-release suffix for the package version, e.g. ci.42 gives 0.2.0-ci.42.
    [string] $VersionSuffix = ''
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
            --logger trx --results-directory $results
    }
    'Bench' {
        # The full run regenerates docs/benchmarks.md and its chart; a quick one writes to artifacts only.
        $docs = if ($Quick) { $Artifacts } else { Join-Path $PSScriptRoot 'docs' }
        New-Item -ItemType Directory -Force -Path $Artifacts, $docs | Out-Null
        $arguments = @('run', '--project', (Join-Path $PSScriptRoot 'bench/ActorPipeline.Benchmarks'), '--no-build',
            '--configuration', $Configuration, '--',
            '--json', (Join-Path $Artifacts 'benchmarks.json'),
            '--markdown', (Join-Path $docs 'benchmarks.md'),
            '--chart', (Join-Path $docs 'benchmarks.png'))
        if ($Quick) { $arguments += '--quick' }
        Invoke-Dotnet @arguments
    }
    'Pack' {
        # The library (with symbols) and the console host as the .NET tool 'actor-pipeline'.
        $suffix = if ($VersionSuffix) { @('--version-suffix', $VersionSuffix) } else { @() }
        $packages = Join-Path $Artifacts 'packages'
        Invoke-Dotnet pack $solution --no-build --configuration $Configuration --output $packages @suffix
        # The tool again, as the package users install: one per platform, precompiled (see the host's project file).
        # Precompiled images left by an earlier pack may no longer match their assemblies: each pack starts from none.
        Get-ChildItem (Join-Path $PSScriptRoot 'src') -Directory -Recurse -Depth 4 -ErrorAction SilentlyContinue |
            Where-Object { $_.Parent.Name -eq 'net10.0' -and $_.FullName -like "*obj*$Configuration*" -and $_.Name -match '^(linux|osx|win|any)' } |
            Remove-Item -Recurse -Force
        Invoke-Dotnet pack (Join-Path $PSScriptRoot 'src/ActorPipeline.Host') --configuration $Configuration `
            '-p:PackPlatformTools=true' --output $packages @suffix
    }
}
