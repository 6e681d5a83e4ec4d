<#
.SYNOPSIS
  Build Guopei Desk for Windows: the PyInstaller bundle and the NSIS installer.

.DESCRIPTION
  Run on Windows 10/11 64-bit (or a Windows CI runner) from any folder:

      powershell -ExecutionPolicy Bypass -File installer\build-windows.ps1 [-Python C:\Python311\python.exe]

  Produces
      dist\guopei-desk\                       guopei-desk.exe (console), GuopeiDesk.exe (no console), _internal\
      dist\guopei-desk-<version>-setup.exe    per-user installer, no administrator rights needed

  Needs Python 3.11+ (64-bit) and NSIS 3 (makensis.exe on the PATH or in Program Files). The build
  venv (build\installer-venv) holds only the application and its runtime dependencies, plus PyInstaller
  and pyinstaller-versionfile, which writes the Windows version resource of both executables.
  Set GUOPEI_BUILD to label the build in `guopei-desk --version` (CI: the run number and commit).
#>
param(
    [string]$Python = "",
    [switch]$SkipInstaller
)

$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest
$Root = Split-Path -Parent $PSScriptRoot
Set-Location $Root

function Step([string]$Text) { Write-Host "`n== $Text" }

function Invoke-Checked([string]$Exe, [string[]]$Arguments) {
    & $Exe @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$Exe $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Find-Python {
    if ($Python) { return $Python }
    $launcher = Get-Command py -ErrorAction SilentlyContinue
    if ($launcher) {
        # Windows PowerShell turns a native command's stderr into an error under "Stop": py says on
        # stderr when it has no 3.11.
        try {
            $found = & py -3.11 -c "import sys; print(sys.executable)" 2>$null
            if ($LASTEXITCODE -eq 0 -and $found) { return "$found".Trim() }
        } catch {
            Write-Host "py -3.11 不可用：$_"
        }
    }
    $plain = Get-Command python -ErrorAction SilentlyContinue
    if ($plain) { return $plain.Source }
    throw "找不到 Python 3.11（64 位）。请安装后重试，或用 -Python 指定 python.exe。"
}

function Find-Makensis {
    $onPath = Get-Command makensis -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    foreach ($dir in @(${env:ProgramFiles(x86)}, $env:ProgramFiles)) {
        if ($dir -and (Test-Path "$dir\NSIS\makensis.exe")) { return "$dir\NSIS\makensis.exe" }
    }
    throw "找不到 NSIS（makensis.exe）。请安装 NSIS 3（如 choco install nsis）后重试。"
}

$started = Get-Date

Step "构建用 Python 环境（build\installer-venv）"
$basePython = Find-Python
& $basePython -c "import sys, struct; assert sys.version_info >= (3, 11) and struct.calcsize('P') == 8, sys.version"
if ($LASTEXITCODE -ne 0) { throw "需要 64 位 Python 3.11 或更新版本：$basePython" }
$venv = Join-Path $Root "build\installer-venv"
if (-not (Test-Path "$venv\Scripts\python.exe")) { Invoke-Checked $basePython @("-m", "venv", $venv) }
$py = "$venv\Scripts\python.exe"
Invoke-Checked $py @("-m", "pip", "install", "-q", "--upgrade", "pip")
# A regular (not editable) install of this checkout: exactly what a wheel of it holds.
Invoke-Checked $py @("-m", "pip", "install", "-q", "--upgrade", "pyinstaller", "pyinstaller-versionfile", ".[desktop]")

$version = (& $py -c "import desktop; print(desktop.__version__)").Trim()
$parts = @($version.Split(".") | ForEach-Object { [int]$_ })
while ($parts.Count -lt 4) { $parts += 0 }
$version4 = ($parts[0..3] -join ".")
Write-Host "版本 $version（文件版本 $version4）"

Step "Windows 版本资源（pyinstaller-versionfile）"
New-Item -ItemType Directory -Force -Path "$Root\build" | Out-Null
$versionFile = Join-Path $Root "build\version-info.txt"
Invoke-Checked "$venv\Scripts\create-version-file.exe" @(
    "installer\windows\version.yml", "--outfile", $versionFile, "--version", $version4)
$env:GUOPEI_VERSION_FILE = $versionFile

Step "PyInstaller 打包（dist\guopei-desk）"
$t = Get-Date
if (Test-Path "$Root\dist\guopei-desk") { Remove-Item -Recurse -Force "$Root\dist\guopei-desk" }
Invoke-Checked "$venv\Scripts\pyinstaller.exe" @(
    "--noconfirm", "--log-level", "WARN", "--distpath", "dist", "--workpath", "build\pyinstaller",
    "installer\guopei-desk.spec")
foreach ($exe in @("guopei-desk.exe", "GuopeiDesk.exe")) {
    if (-not (Test-Path "$Root\dist\guopei-desk\$exe")) { throw "PyInstaller 没有生成 dist\guopei-desk\$exe" }
}
$size = (Get-ChildItem -Recurse -File "$Root\dist\guopei-desk" | Measure-Object -Sum Length).Sum
Write-Host ("用时 {0:N0} 秒；大小 {1:N1} MiB" -f ((Get-Date) - $t).TotalSeconds, ($size / 1MB))

if (-not $SkipInstaller) {
    Step "NSIS 安装程序"
    $makensis = Find-Makensis
    $setup = Join-Path $Root "dist\guopei-desk-$version-setup.exe"
    Invoke-Checked $makensis @(
        "/V2", "/WX", "/DVERSION=$version4", "/DPAYLOAD=$Root\dist\guopei-desk", "/DOUTFILE=$setup",
        "installer\guopei-desk.nsi")
    Write-Host ("{0}（{1:N1} MiB）" -f $setup, ((Get-Item $setup).Length / 1MB))
}

Write-Host ("`n全部完成，共用时 {0:N0} 秒" -f ((Get-Date) - $started).TotalSeconds)
