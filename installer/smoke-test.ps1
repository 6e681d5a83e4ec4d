<#
.SYNOPSIS
  Smoke test of the Windows build (the twin of installer/smoke-test.sh), after installer\build-windows.ps1.

.DESCRIPTION
  The bundled guopei-desk.exe runs with a minimal environment (no Python on the PATH, no PYTHON*
  variables, Qt's offscreen platform) and must print its version, build the demo county, render every
  page, print a demo project's certificates and verify one of their QR texts. Then the installer runs
  silently (per user, no administrator), the installed command repeats --version and demo --no-gui,
  the shortcuts and the uninstall entry are checked, and the uninstaller runs silently and must leave
  the county's data folder in place.

      powershell -ExecutionPolicy Bypass -File installer\smoke-test.ps1

  Reading the demo database for a project code and a QR text uses Python's sqlite3 (the runner's
  Python, outside the program under test): Windows has no sqlite3 command by default.
#>
$ErrorActionPreference = "Stop"
Set-StrictMode -Version Latest
$Root = Split-Path -Parent $PSScriptRoot
Set-Location $Root

function Fail([string]$Text) { throw "冒烟测试失败：$Text" }
function Step([string]$Text) { Write-Host "`n== $Text" }

$Version = (Select-String -Path "desktop\__init__.py" -Pattern '^__version__ = "(.*)"$').Matches[0].Groups[1].Value
$Bundle = Join-Path $Root "dist\guopei-desk\guopei-desk.exe"
$Setup = Join-Path $Root "dist\guopei-desk-$Version-setup.exe"
if (-not (Test-Path $Bundle)) { Fail "没有 $Bundle，请先运行 installer\build-windows.ps1" }
if (-not (Test-Path $Setup)) { Fail "没有 $Setup，请先运行 installer\build-windows.ps1" }

$Work = Join-Path ([System.IO.Path]::GetTempPath()) ("guopei-smoke-" + [guid]::NewGuid().ToString("N").Substring(0, 8))
New-Item -ItemType Directory -Force -Path $Work | Out-Null

# The program as a county PC runs it: none of this shell's environment but what Windows itself needs.
function Invoke-Clean([string]$Exe, [string[]]$Arguments, [switch]$AllowFailure) {
    $info = New-Object System.Diagnostics.ProcessStartInfo
    $info.FileName = $Exe
    $info.Arguments = ($Arguments | ForEach-Object { '"' + ($_ -replace '"', '\"') + '"' }) -join " "
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.StandardOutputEncoding = [System.Text.Encoding]::UTF8
    $info.StandardErrorEncoding = [System.Text.Encoding]::UTF8
    $info.EnvironmentVariables.Clear()
    foreach ($name in @("SystemRoot", "SystemDrive", "windir", "USERPROFILE", "USERNAME", "LOCALAPPDATA",
                        "APPDATA", "TEMP", "TMP", "HOMEDRIVE", "HOMEPATH", "COMPUTERNAME", "PROCESSOR_ARCHITECTURE",
                        "NUMBER_OF_PROCESSORS", "GUOPEI_DESK_PASSWORD")) {
        $value = [Environment]::GetEnvironmentVariable($name)
        if ($value) { $info.EnvironmentVariables[$name] = $value }
    }
    $info.EnvironmentVariables["PATH"] = "$env:SystemRoot\System32;$env:SystemRoot"
    $info.EnvironmentVariables["QT_QPA_PLATFORM"] = "offscreen"
    $process = [System.Diagnostics.Process]::Start($info)
    $errors = $process.StandardError.ReadToEndAsync()
    $out = $process.StandardOutput.ReadToEnd()
    $process.WaitForExit()
    if ($out) { Write-Host $out.TrimEnd() }
    if ($errors.Result) { Write-Host $errors.Result.TrimEnd() }
    if ($process.ExitCode -ne 0 -and -not $AllowFailure) { Fail "$Exe $($Arguments -join ' ') 退出码 $($process.ExitCode)" }
    return [pscustomobject]@{ Code = $process.ExitCode; Out = $out }
}

function Test-Basics([string]$Exe, [string]$Data) {
    Step "$Exe --version"
    $result = Invoke-Clean $Exe @("--version")
    if (-not $result.Out.StartsWith("guopei-desk $Version（")) { Fail "--version 输出不对：$($result.Out)" }
    Step "$Exe demo --no-gui（300 名教师）"
    $demo = @("demo", "--no-gui", "--teachers", "300")
    if ($Data) { $demo = @("--data-dir", $Data) + $demo }
    Invoke-Clean $Exe $demo | Out-Null
}

function Query([string]$Database, [string]$Sql) {
    $value = & python -c "import sqlite3, sys; row = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(row[0] if row else '')" $Database $Sql
    if ($LASTEXITCODE -ne 0) { Fail "读取演示数据库失败" }
    return "$value".Trim()
}

try {
    Step "包内容"
    foreach ($unwanted in @("server", "fastapi", "starlette", "uvicorn", "psycopg", "pytest", "hypothesis",
                            "Qt6Qml*", "Qt6Quick*", "Qt6WebEngine*", "Qt6Network*", "Qt6Pdf*")) {
        $found = Get-ChildItem -Recurse -Path "dist\guopei-desk" -Filter "$unwanted*" -ErrorAction SilentlyContinue |
            Select-Object -First 1
        if ($found) { Fail "包中不应有 $($found.FullName)" }
    }

    $Data = Join-Path $Work "county"
    Test-Basics $Bundle $Data
    $Db = Join-Path $Data "guopei.sqlite3"
    if (-not (Test-Path $Db)) { Fail "演示县数据库没有建立" }

    Step "每个页面的截图"
    Invoke-Clean $Bundle @("--data-dir", $Data, "screenshot", "--out", "$Work\shots") | Out-Null
    $shots = @(Get-ChildItem "$Work\shots\*.png" | Where-Object { $_.Length -gt 10KB })
    if ($shots.Count -lt 8) { Fail "截图只有 $($shots.Count) 张" }

    Step "结业证书"
    $project = Query $Db "SELECT p.code FROM enrollments e JOIN projects p ON p.id = e.project_id WHERE e.status = 'completed' AND e.deleted = 0 GROUP BY p.id ORDER BY count(*) DESC, p.code LIMIT 1"
    if (-not $project) { Fail "演示县没有结业学员" }
    # The demo county has one account per role (password demo1234): issuing certificates needs one.
    $env:GUOPEI_DESK_PASSWORD = "demo1234"
    Invoke-Clean $Bundle @("--data-dir", $Data, "--user", "演示培训管理员", "certificates", "--project", $project, "--out", "$Work\certs") | Out-Null
    Remove-Item Env:GUOPEI_DESK_PASSWORD
    $pdf = Join-Path $Work "certs\$project-结业证书.pdf"
    if (-not (Test-Path $pdf) -or (Get-Item $pdf).Length -lt 10KB) { Fail "没有生成 $pdf" }

    Step "核验证书二维码"
    $qr = Query $Db "SELECT c.verification_code FROM certificates c JOIN projects p ON p.id = c.project_id WHERE p.code = '$project' AND c.revoked = 0 LIMIT 1"
    Invoke-Clean $Bundle @("--data-dir", $Data, "verify", $qr) | Out-Null
    $last = $qr.Substring($qr.Length - 1)
    $tampered = $qr.Substring(0, $qr.Length - 1) + $(if ($last -eq "A") { "B" } else { "A" })
    if ((Invoke-Clean $Bundle @("--data-dir", $Data, "verify", $tampered) -AllowFailure).Code -eq 0) {
        Fail "改动过的二维码竟然核验通过"
    }

    Step "静默安装（当前用户，不需要管理员）"
    $InstallDir = Join-Path $env:LOCALAPPDATA "Programs\GuopeiDesk"
    $installer = Start-Process -FilePath $Setup -ArgumentList "/S" -Wait -PassThru
    if ($installer.ExitCode -ne 0) { Fail "安装程序退出码 $($installer.ExitCode)" }
    foreach ($file in @("GuopeiDesk.exe", "guopei-desk.exe", "uninstall.exe", "_internal")) {
        if (-not (Test-Path (Join-Path $InstallDir $file))) { Fail "安装后缺少 $InstallDir\$file" }
    }
    $shortcuts = @("$([Environment]::GetFolderPath('Programs'))\国培桌面端\国培桌面端.lnk",
                   "$([Environment]::GetFolderPath('Desktop'))\国培桌面端.lnk")
    foreach ($link in $shortcuts) { if (-not (Test-Path $link)) { Fail "没有快捷方式 $link" } }
    $entry = Get-ItemProperty "HKCU:\Software\Microsoft\Windows\CurrentVersion\Uninstall\GuopeiDesk"
    if ($entry.DisplayName -ne "国培桌面端") { Fail "卸载项的名称不对：$($entry.DisplayName)" }

    Step "已安装的 guopei-desk --version 与 demo --no-gui（默认的演示县文件夹）"
    Test-Basics (Join-Path $InstallDir "guopei-desk.exe") ""
    $DemoDir = Join-Path $env:LOCALAPPDATA "GuopeiDesk-demo"
    if (-not (Test-Path "$DemoDir\guopei.sqlite3")) { Fail "默认演示县文件夹中没有数据库：$DemoDir" }

    Step "静默卸载保留本县数据"
    # _?= keeps the uninstaller in place, so that Start-Process waits for it to finish.
    $uninstaller = Start-Process -FilePath "$InstallDir\uninstall.exe" -ArgumentList "/S", "_?=$InstallDir" -Wait -PassThru
    if ($uninstaller.ExitCode -ne 0) { Fail "卸载程序退出码 $($uninstaller.ExitCode)" }
    if (Test-Path "$InstallDir\_internal") { Fail "卸载后程序文件仍在" }
    foreach ($link in $shortcuts) { if (Test-Path $link) { Fail "卸载后快捷方式仍在：$link" } }
    if (-not (Test-Path "$DemoDir\guopei.sqlite3")) { Fail "卸载删除了本县数据" }
    Write-Host "程序已删除，$DemoDir 中的数据仍在"

    Write-Host "`n冒烟测试通过"
}
finally {
    Remove-Item -Recurse -Force $Work -ErrorAction SilentlyContinue
}
