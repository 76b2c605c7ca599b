<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>CounterPage</name>
    <message>
        <source>Sign out</source>
        <translation>签退</translation>
    </message>
    <message>
        <source>OVERTIME</source>
        <translation>已超时</translation>
    </message>
    <message>
        <source>Transaction type (F3)</source>
        <translation>业务类型 (F3)</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>untimed</source>
        <translation>不计时</translation>
    </message>
    <message>
        <source>Start  (F1)</source>
        <translation>开始  (F1)</translation>
    </message>
    <message>
        <source>Done  (F2)</source>
        <translation>完成  (F2)</translation>
    </message>
    <message>
        <source>Next type  (F3)</source>
        <translation>切换类型  (F3)</translation>
    </message>
    <message>
        <source>Void  (F4)</source>
        <translation>作废  (F4)</translation>
    </message>
    <message>
        <source>Overtime: why did it take longer? (one press)</source>
        <translation>已超时：请选择超时原因（按一下即可）</translation>
    </message>
    <message>
        <source>Counter %1 · %2</source>
        <translation>%1 号柜台 · %2</translation>
    </message>
    <message>
        <source>Serving…</source>
        <translation>正在办理…</translation>
    </message>
    <message>
        <source>Ready for the next customer: press Start (F1)</source>
        <translation>可以接待下一位客户：请按“开始”(F1)</translation>
    </message>
    <message>
        <source>The customer has rated ✓</source>
        <translation>客户已评价 ✓</translation>
    </message>
    <message>
        <source>Waiting for the customer&apos;s rating…</source>
        <translation>等待客户评价…</translation>
    </message>
    <message>
        <source>time left</source>
        <translation>剩余时间</translation>
    </message>
    <message>
        <source>elapsed (untimed)</source>
        <translation>已用时间（不计时）</translation>
    </message>
    <message>
        <source>last transaction</source>
        <translation>上一笔业务</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Served today: %1</source>
        <translation>今日已办理：%1 笔</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>Finish or void the running transaction before signing out</source>
        <extracomment>Messages shown as they are (CounterError, SignInError).</extracomment>
        <translation>请先完成或作废正在办理的业务，再签退</translation>
    </message>
    <message>
        <source>A transaction is already running</source>
        <translation>已有一笔业务正在办理</translation>
    </message>
    <message>
        <source>Choose the overtime reason for the last transaction first</source>
        <translation>请先选择上一笔业务的超时原因</translation>
    </message>
    <message>
        <source>No overtime transaction is waiting for a reason</source>
        <translation>没有等待填写原因的超时业务</translation>
    </message>
    <message>
        <source>Sign in first</source>
        <translation>请先签到</translation>
    </message>
    <message>
        <source>No transaction is running</source>
        <translation>当前没有正在办理的业务</translation>
    </message>
    <message>
        <source>Unknown staff number or wrong PIN</source>
        <translation>工号不存在或密码错误</translation>
    </message>
    <message>
        <source>%1 is still signed in</source>
        <extracomment>Messages with values in them: the regular expression&apos;s groups become %1, %2, …</extracomment>
        <translation>%1 尚未签退</translation>
    </message>
    <message>
        <source>Void is possible only in the first %1 s; press Done instead</source>
        <translation>只能在开始后 %1 秒内作废，请按“完成”</translation>
    </message>
    <message>
        <source>Unknown overtime reason %1</source>
        <translation>未知的超时原因 %1</translation>
    </message>
    <message>
        <source>Unknown transaction type %1</source>
        <translation>未知的业务类型 %1</translation>
    </message>
    <message>
        <source>Too many wrong PINs: locked for about %1 min</source>
        <translation>密码错误次数过多：账号已锁定，约 %1 分钟后再试</translation>
    </message>
    <message>
        <source>Too many wrong PINs: locked for %1 min</source>
        <translation>密码错误次数过多：账号已锁定 %1 分钟</translation>
    </message>
    <message>
        <source>Unknown staff number or wrong PIN (%1 tries left)</source>
        <translation>工号不存在或密码错误（还可尝试 %1 次）</translation>
    </message>
    <message>
        <source>NOT SAVED: the database refused the record (%1). Nothing already recorded is lost; free disk space or call support, then try again.</source>
        <translation>未保存：数据库拒绝写入此记录（%1）。已保存的记录没有丢失；请清理磁盘空间或联系技术支持后重试。</translation>
    </message>
</context>
<context>
    <name>SignInPage</name>
    <message>
        <source>Staff number</source>
        <translation>工号</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>签到</translation>
    </message>
    <message>
        <source>Counter %1 · %2</source>
        <translation>%1 号柜台 · %2</translation>
    </message>
</context>
<context>
    <name>StaffWindow</name>
    <message>
        <source>The app did not close normally last time: %1 running transaction(s) were recorded as interrupted, with the time known so far.</source>
        <translation>上次程序未正常关闭：%1 笔正在办理的业务已记为“中断”，并保留已知的办理时长。</translation>
    </message>
    <message>
        <source>THE COUNTER DATABASE WAS DAMAGED (%1). It was moved to %2 and will not be uploaded; a new database was started. Tell your duty manager and support.</source>
        <translation>窗口数据库已损坏（%1）！已移至 %2，不会上传；已新建数据库。请立即告知值班经理和技术支持。</translation>
    </message>
    <message>
        <source>Counter App — Counter %1 · %2</source>
        <translation>柜台服务系统 — %1 号柜台 · %2</translation>
    </message>
    <message>
        <source>Quit Counter App</source>
        <translation>退出柜台服务系统</translation>
    </message>
    <message>
        <source>A transaction is running. Quit anyway? It will be recorded as interrupted.</source>
        <translation>有业务正在办理。仍要退出吗？该笔业务将记为“中断”。</translation>
    </message>
    <message>
        <source>Counter</source>
        <translation>柜台</translation>
    </message>
    <message>
        <source>Manager</source>
        <translation>值班经理</translation>
    </message>
</context>
</TS>
